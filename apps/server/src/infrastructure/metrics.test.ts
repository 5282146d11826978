import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from './metrics';

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

describe('heap after a major collection', () => {
  it('reports the live heap left by the latest full collection, and follows it up and down', async () => {
    const { registry } = createMetrics();
    // Several collections first: code and caches left by earlier test files in this worker are
    // released over a few of them, which would otherwise shrink the heap under the test's own data.
    for (let i = 0; i < 6; i++) collectGarbage();
    await vi.waitFor(async () => expect(await heapAfterGc(registry)).toBeGreaterThan(0), waitLong);
    const before = (await heapAfterGc(registry)) as number;
    // 48 MB on the V8 heap (arrays of doubles, 1 MB each), reachable across the next collection.
    const kept = Array.from({ length: 48 }, (_, i) => new Array<number>(2 ** 17).fill(i + 0.5));
    collectGarbage();
    await vi.waitFor(async () => expect(await heapAfterGc(registry)).toBeGreaterThan(before + 24 * mebibyte), waitLong);
    const withData = (await heapAfterGc(registry)) as number;
    expect(kept).toHaveLength(48);
    kept.length = 0;
    collectGarbage();
    await vi.waitFor(async () => expect(await heapAfterGc(registry)).toBeLessThan(withData - 24 * mebibyte), waitLong);
  });
});
