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

describe('heap after a major collection', () => {
  it('reports the live heap left by the latest full collection, and follows it when it grows', async () => {
    const { registry } = createMetrics();
    collectGarbage();
    await vi.waitFor(async () => expect(await heapAfterGc(registry)).toBeGreaterThan(0));
    const before = (await heapAfterGc(registry)) as number;
    // 40 MB on the V8 heap (arrays of doubles, 1 MB each), kept reachable across the next collection.
    const kept = Array.from({ length: 40 }, (_, i) => new Array<number>(2 ** 17).fill(i + 0.5));
    collectGarbage();
    await vi.waitFor(async () => expect(await heapAfterGc(registry)).toBeGreaterThan(before + 30 * 2 ** 20));
    expect(kept).toHaveLength(40);
  });
});
