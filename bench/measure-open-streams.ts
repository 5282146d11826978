import { sleep } from './processes';
import type { RunningTarget } from './targets';
import type { FakeUpstream } from './upstream';
import type { HoldMessage } from './worker-protocol';
import { chatBody, spawnWorker } from './workers';

export interface OpenStreamsOptions {
  streams: number;
  batchSize: number;
  maxOpeningSeconds: number;
}

export interface OpenStreamsResult {
  requested: number;
  /** Streams that received their first frame and were held open. */
  opened: number;
  failed: number;
  firstError: string | null;
  /** Streams the upstream had open at the measurement: proves the gateway held them end to end. */
  upstreamOpen: number;
  rssBeforeBytes: number;
  rssOpenBytes: number;
  rssAfterCloseBytes: number;
  bytesPerStream: number;
  /** RSS at 10,000 streams, extrapolated linearly when fewer could be opened. */
  rssAt10kBytes: number;
  openSeconds: number;
  /** RSS after each batch: [open streams, bytes]. */
  curve: Array<[number, number]>;
}

/**
 * Opens many streams whose upstream sends one frame and then waits ten
 * minutes, measures the gateway's memory with all of them open, then closes
 * them from the client side.
 */
export async function measureOpenStreams(
  target: RunningTarget,
  fake: FakeUpstream,
  options: OpenStreamsOptions,
): Promise<OpenStreamsResult | null> {
  const before = target.memory();
  if (!before) return null;
  await fake.configure({ chunks: 3, delayMs: 600_000 });
  const worker = spawnWorker('stream-worker.ts');
  const curve: Array<[number, number]> = [[0, before.rssBytes]];
  const progress = { open: 0, failed: 0, firstError: null as string | null };
  const started = performance.now();
  try {
    const opened = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: HoldMessage | { type: 'error'; error: string }) => {
        if (message.type === 'error') {
          reject(new Error(message.error));
          return;
        }
        if (message.type !== 'progress') return;
        progress.open = message.open;
        progress.failed = message.failed;
        progress.firstError ??= message.firstError ?? null;
        curve.push([message.open, target.memory()?.rssBytes ?? 0]);
        if (message.final) resolve();
      });
      worker.once('exit', (code) => reject(new Error(`stream worker exited with code ${code}`)));
    });
    worker.send({
      kind: 'hold',
      url: target.chatUrl,
      headers: target.headers,
      body: chatBody(target.model, true),
      streams: options.streams,
      batchSize: options.batchSize,
      maxOpeningMs: options.maxOpeningSeconds * 1000,
    });
    await opened;
    const openSeconds = (performance.now() - started) / 1000;
    // Let allocation settle before reading RSS.
    await sleep(1000);
    const atOpen = target.memory() ?? before;
    const upstreamOpen = (await fake.stats()).openStreams;
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (message: HoldMessage) => {
        if (message.type === 'closed') resolve();
      });
      worker.once('exit', () => resolve());
    });
    worker.send({ type: 'close' });
    await closed;
    // The gateway must notice each client leaving and release the upstream stream too.
    for (let waited = 0; waited < 15_000; waited += 250) {
      if ((await fake.stats()).openStreams === 0) break;
      await sleep(250);
    }
    await sleep(1000);
    const after = target.memory() ?? atOpen;
    const grown = atOpen.rssBytes - before.rssBytes;
    const bytesPerStream = progress.open > 0 ? grown / progress.open : 0;
    return {
      requested: options.streams,
      opened: progress.open,
      failed: progress.failed,
      firstError: progress.firstError,
      upstreamOpen,
      rssBeforeBytes: before.rssBytes,
      rssOpenBytes: atOpen.rssBytes,
      rssAfterCloseBytes: after.rssBytes,
      bytesPerStream,
      rssAt10kBytes: before.rssBytes + bytesPerStream * 10_000,
      openSeconds,
      curve,
    };
  } finally {
    if (worker.exitCode === null) worker.kill('SIGKILL');
    await fake.configure({ chunks: 20, delayMs: 0 });
  }
}
