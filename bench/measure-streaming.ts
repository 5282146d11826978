import type { RunningTarget } from './targets';
import type { FakeUpstream } from './upstream';
import type { TtftResult } from './worker-protocol';
import { chatBody, runInWorker } from './workers';

export interface StreamingOptions {
  requests: number;
  warmupRequests: number;
  /** Chunks the upstream sends per stream. */
  chunks: number;
  /** Pause between upstream chunks; 0 writes them back to back. */
  delayMs: number;
}

export interface StreamingResult extends TtftResult {
  chunks: number;
  delayMs: number;
  requests: number;
}

/**
 * Concurrency 1. Paced chunks (delay > 0) give an honest time to first token:
 * the first chunk travels alone, as from a real model. Chunks written back to
 * back (delay 0) make the whole-stream time pure gateway work per chunk.
 */
export async function measureStreaming(
  target: RunningTarget,
  fake: FakeUpstream,
  options: StreamingOptions,
): Promise<StreamingResult> {
  await fake.configure({ chunks: options.chunks, delayMs: options.delayMs });
  const result = await runInWorker<TtftResult>('stream-worker.ts', {
    kind: 'ttft',
    url: target.chatUrl,
    headers: target.headers,
    body: chatBody(target.model, true),
    requests: options.requests,
    warmupRequests: options.warmupRequests,
  });
  return { ...result, chunks: options.chunks, delayMs: options.delayMs, requests: options.requests };
}
