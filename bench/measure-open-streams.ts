import type { ChildProcess } from 'node:child_process';
import { splitStreams } from './open-streams-plan';
import { sleep, treeSockets } from './processes';
import type { RunningTarget } from './targets';
import type { FakeUpstream } from './upstream';
import type { HoldMessage } from './worker-protocol';
import { chatBody, spawnWorker } from './workers';

export interface OpenStreamsOptions {
  streams: number;
  batchSize: number;
  maxOpeningSeconds: number;
  /** Most streams one client process opens (it holds a descriptor per stream); more streams, more clients. */
  maxPerClient?: number;
}

export interface OpenStreamsResult {
  requested: number;
  /** Streams that received their first frame and were held open. */
  opened: number;
  /** Of those, streams still open (not ended or broken by the gateway) when the memory was read. */
  stillOpen?: number;
  failed: number;
  firstError: string | null;
  /** Streams the upstream had open at the measurement: proves the gateway held them end to end. */
  upstreamOpen: number;
  /** Client processes the streams were spread over (each has its own open-files limit). */
  clientProcesses?: number;
  /** Sockets each gateway process held at the measurement (a clustered server: primary and workers). */
  gatewaySockets?: Array<{ pid: number; sockets: number }>;
  rssBeforeBytes: number;
  rssOpenBytes: number;
  rssAfterCloseBytes: number;
  bytesPerStream: number;
  /** RSS at 10,000 streams: measured when 10,000 were held, else extrapolated linearly. */
  rssAt10kBytes: number;
  openSeconds: number;
  /** RSS after each batch: [open streams, bytes]. */
  curve: Array<[number, number]>;
}

type WorkerMessage = HoldMessage | { type: 'error'; error: string };

function nextMessage<T extends WorkerMessage['type']>(
  worker: ChildProcess,
  type: T,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === type) {
        cleanup();
        resolve(message as Extract<WorkerMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`stream worker exited with code ${code}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

/**
 * Opens many streams whose upstream sends one frame and then waits ten
 * minutes, measures the gateway's memory with all of them open, then closes
 * them from the client side. The streams are spread over as many client
 * processes as keep each within `maxPerClient`; they open at the same time.
 */
export async function measureOpenStreams(
  target: RunningTarget,
  fake: FakeUpstream,
  options: OpenStreamsOptions,
): Promise<OpenStreamsResult | null> {
  const before = target.memory();
  if (!before) return null;
  await fake.configure({ chunks: 3, delayMs: 600_000 });
  const shares = splitStreams(options.streams, options.maxPerClient ?? options.streams);
  const workers = shares.map(() => spawnWorker('stream-worker.ts'));
  const curve: Array<[number, number]> = [[0, before.rssBytes]];
  const progress = shares.map(() => ({ open: 0, failed: 0, final: false }));
  let firstError: string | null = null;
  const started = performance.now();
  try {
    const opened = new Promise<void>((resolve, reject) => {
      workers.forEach((worker, index) => {
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'error') {
            reject(new Error(message.error));
            return;
          }
          if (message.type !== 'progress') return;
          const own = progress[index] as (typeof progress)[number];
          own.open = message.open;
          own.failed = message.failed;
          own.final = message.final;
          firstError ??= message.firstError ?? null;
          curve.push([progress.reduce((sum, entry) => sum + entry.open, 0), target.memory()?.rssBytes ?? 0]);
          if (progress.every((entry) => entry.final)) resolve();
        });
        worker.once('exit', (code) => reject(new Error(`stream worker exited with code ${code}`)));
      });
    });
    for (const [index, worker] of workers.entries()) {
      worker.send({
        kind: 'hold',
        url: target.chatUrl,
        headers: target.headers,
        body: chatBody(target.model, true),
        streams: shares[index],
        batchSize: Math.max(1, Math.round(options.batchSize / shares.length)),
        maxOpeningMs: options.maxOpeningSeconds * 1000,
      });
    }
    await opened;
    const openSeconds = (performance.now() - started) / 1000;
    const openedCount = progress.reduce((sum, entry) => sum + entry.open, 0);
    const failed = progress.reduce((sum, entry) => sum + entry.failed, 0);
    // Let allocation settle before reading RSS.
    await sleep(1000);
    const atOpen = target.memory() ?? before;
    const upstreamOpen = (await fake.stats()).openStreams;
    const root = target.rootPid();
    const gatewaySockets = root ? treeSockets(root) : [];
    const counts = await Promise.all(
      workers.map((worker) => {
        const answer = nextMessage(worker, 'count');
        worker.send({ type: 'count' });
        return answer;
      }),
    );
    const stillOpen = counts.reduce((sum, count) => sum + count.stillOpen, 0);
    await Promise.all(
      workers.map((worker) => {
        const closed = nextMessage(worker, 'closed').catch(() => null);
        worker.send({ type: 'close' });
        return closed;
      }),
    );
    // The gateway must notice each client leaving and release the upstream stream too.
    for (let waited = 0; waited < 30_000; waited += 250) {
      if ((await fake.stats()).openStreams === 0) break;
      await sleep(250);
    }
    await sleep(1000);
    const after = target.memory() ?? atOpen;
    const grown = atOpen.rssBytes - before.rssBytes;
    const bytesPerStream = openedCount > 0 ? grown / openedCount : 0;
    return {
      requested: options.streams,
      opened: openedCount,
      stillOpen,
      failed,
      firstError,
      upstreamOpen,
      clientProcesses: workers.length,
      gatewaySockets,
      rssBeforeBytes: before.rssBytes,
      rssOpenBytes: atOpen.rssBytes,
      rssAfterCloseBytes: after.rssBytes,
      bytesPerStream,
      rssAt10kBytes: stillOpen >= 10_000 ? atOpen.rssBytes : before.rssBytes + bytesPerStream * 10_000,
      openSeconds,
      curve,
    };
  } finally {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    await fake.configure({ chunks: 20, delayMs: 0 });
  }
}
