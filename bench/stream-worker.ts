/**
 * A child process with a raw node:http client for what autocannon cannot
 * measure: time to the first SSE frame, whole-stream time, and thousands of
 * streams held open at once.
 */
import { Agent, type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { summarize } from './stats';
import type { HoldJob, HoldMessage, TtftJob, TtftResult } from './worker-protocol';

interface StreamTiming {
  ttftMicroseconds: number;
  totalMicroseconds: number;
  frames: number;
}

function countFrames(text: string): number {
  let count = 0;
  let index = text.indexOf('data:');
  while (index !== -1) {
    count += 1;
    index = text.indexOf('data:', index + 5);
  }
  return count;
}

function timeOneStream(job: TtftJob, agent: Agent): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let firstFrameAt: bigint | null = null;
    let frames = 0;
    // A `data:` split across two reads is still counted once.
    let carry = '';
    const outgoing = httpRequest(
      job.url,
      {
        method: 'POST',
        agent,
        headers: { ...job.headers, 'content-length': Buffer.byteLength(job.body) },
      },
      (incoming) => {
        if (incoming.statusCode !== 200) {
          incoming.resume();
          reject(new Error(`status ${incoming.statusCode}`));
          return;
        }
        incoming.setEncoding('utf8');
        incoming.on('data', (piece: string) => {
          const text = carry + piece;
          const found = countFrames(text);
          if (found > 0 && firstFrameAt === null) firstFrameAt = process.hrtime.bigint();
          frames += found;
          // Four characters cannot hold a whole `data:`, so nothing is counted twice.
          carry = text.slice(-4);
        });
        incoming.on('end', () => {
          const ended = process.hrtime.bigint();
          resolve({
            ttftMicroseconds: Number((firstFrameAt ?? ended) - started) / 1000,
            totalMicroseconds: Number(ended - started) / 1000,
            frames,
          });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(job.body);
  });
}

async function measureTtft(job: TtftJob): Promise<TtftResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ttft: number[] = [];
  const total: number[] = [];
  let frames = 0;
  let failures = 0;
  let completed = 0;
  for (let index = 0; index < job.warmupRequests + job.requests; index += 1) {
    try {
      const timing = await timeOneStream(job, agent);
      completed += 1;
      if (index >= job.warmupRequests) {
        ttft.push(timing.ttftMicroseconds);
        total.push(timing.totalMicroseconds);
        frames = Math.max(frames, timing.frames);
      }
    } catch {
      failures += 1;
    }
  }
  agent.destroy();
  return {
    ttftMicroseconds: summarize(ttft),
    totalMicroseconds: summarize(total),
    framesPerStream: frames,
    failures,
    completed,
  };
}

interface HeldStream {
  outgoing: ClientRequest;
  incoming: IncomingMessage | null;
  /** Set when the gateway ended or broke the stream after its first frame. */
  ended: boolean;
}

async function hold(job: HoldJob): Promise<void> {
  const open: HeldStream[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const send = (message: HoldMessage) => process.send?.(message);

  const openOne = () =>
    new Promise<void>((resolve) => {
      const entry: HeldStream = {
        outgoing: httpRequest(job.url, {
          method: 'POST',
          agent: false,
          headers: { ...job.headers, 'content-length': Buffer.byteLength(job.body) },
        }),
        incoming: null,
        ended: false,
      };
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        failed += 1;
        firstError ??= reason;
        entry.outgoing.destroy();
        resolve();
      };
      entry.outgoing.setTimeout(30_000, () => fail('no first frame within 30 s'));
      entry.outgoing.on('error', (error) => fail(error.message));
      entry.outgoing.on('response', (incoming) => {
        entry.incoming = incoming;
        if (incoming.statusCode !== 200) {
          incoming.resume();
          fail(`status ${incoming.statusCode}`);
          return;
        }
        incoming.on('error', () => {});
        // Anything but our own close afterwards means the stream is no longer held.
        incoming.once('end', () => {
          entry.ended = true;
        });
        incoming.once('close', () => {
          entry.ended = true;
        });
        incoming.once('data', () => {
          if (settled) return;
          settled = true;
          entry.outgoing.setTimeout(0);
          open.push(entry);
          resolve();
        });
      });
      entry.outgoing.end(job.body);
    });

  const began = performance.now();
  for (let started = 0; started < job.streams; started += job.batchSize) {
    const batch = Math.min(job.batchSize, job.streams - started);
    await Promise.all(Array.from({ length: batch }, openOne));
    const final = started + batch >= job.streams || performance.now() - began > job.maxOpeningMs;
    send({ type: 'progress', open: open.length, failed, final, ...(firstError ? { firstError } : {}) });
    if (final) break;
  }
  // `count` answers how many of the opened streams are still open now; `close` ends them all.
  await new Promise<void>((resolve) => {
    process.on('message', (message: { type?: string }) => {
      if (message?.type === 'count') {
        send({ type: 'count', open: open.length, stillOpen: open.filter((entry) => !entry.ended).length });
      } else if (message?.type === 'close') resolve();
    });
  });
  const count = open.length;
  for (const entry of open) entry.outgoing.destroy();
  send({ type: 'closed', open: count, failed });
}

process.once('message', (job: TtftJob | HoldJob) => {
  if (job.kind === 'ttft') {
    measureTtft(job).then(
      (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
      (error: unknown) => process.send?.({ type: 'error', error: String(error) }, () => process.exit(1)),
    );
  } else {
    hold(job).then(
      () => setTimeout(() => process.exit(0), 100),
      (error: unknown) => process.send?.({ type: 'error', error: String(error) }, () => process.exit(1)),
    );
  }
});
