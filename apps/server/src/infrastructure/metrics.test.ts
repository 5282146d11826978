import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics, majorGcsSeen } from './metrics';

/** A full (major) collection on demand: --expose-gc for a fresh context only, so the test needs no flags. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function heapAfterGc(registry: ReturnType<typeof createMetrics>['registry']): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('switchyard_nodejs_heap_used_after_major_gc_bytes')?.get();
  return metric?.values[0]?.value;
}

const mebibyte = 2 ** 20;
// The observer reports after the collection, on a later turn; a loaded machine may take a while.
const waitLong = { timeout: 15_000, interval: 20 };

/**
 * One full collection, then the gauge once the observer has reported it. Waiting for the count of
 * observed collections (not for a value) keeps a reading left by an earlier collection, perhaps
 * one of an earlier test file in this worker, out of the comparison.
 */
async function collectAndRead(registry: ReturnType<typeof createMetrics>['registry']): Promise<number> {
  const seen = majorGcsSeen();
  collectGarbage();
  await vi.waitFor(() => expect(majorGcsSeen()).toBeGreaterThan(seen), waitLong);
  const value = await heapAfterGc(registry);
  expect(value).toBeGreaterThan(0);
  return value as number;
}

describe('heap after a major collection', () => {
  it('reports the live heap left by the latest full collection, and follows it up and down', async () => {
    const { registry } = createMetrics();
    // Several collections first: code and caches left by earlier test files in this worker are
    // released over a few of them, which would otherwise shrink the heap under the test's own data.
    for (let i = 0; i < 5; i++) collectGarbage();
    const before = await collectAndRead(registry);
    // 48 MB on the V8 heap (arrays of doubles, 1 MB each), reachable across the next collection.
    const kept = Array.from({ length: 48 }, (_, i) => new Array<number>(2 ** 17).fill(i + 0.5));
    const withData = await collectAndRead(registry);
    expect(withData).toBeGreaterThan(before + 24 * mebibyte);
    expect(kept).toHaveLength(48);
    kept.length = 0;
    const after = await collectAndRead(registry);
    expect(after).toBeLessThan(withData - 24 * mebibyte);
  });
});
