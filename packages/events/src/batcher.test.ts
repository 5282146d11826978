import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

function deferred() {
  let release: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

describe('batcher (group commit)', () => {
  it('sends the first item at once and the ones added meanwhile together, up to the batch size', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const batcher = createBatcher<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate.promise;
      return items.map((item) => item * 10);
    }, 3);
    const first = batcher.add(1);
    await Promise.resolve();
    const rest = [2, 3, 4, 5].map((item) => batcher.add(item));
    gate.release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('fails every item of a failed batch, and the next batch goes on', async () => {
    let calls = 0;
    const batcher = createBatcher<string, string>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('the database went away');
      return items;
    }, 10);
    const failed = [batcher.add('a'), batcher.add('b')];
    await expect(Promise.all(failed)).rejects.toThrow('the database went away');
    await expect(failed[1]).rejects.toThrow('the database went away');
    expect(await batcher.add('c')).toBe('c');
  });

  it('sends each item on its own, concurrently, with a batch size of 1', async () => {
    const gate = deferred();
    const running: string[][] = [];
    const batcher = createBatcher<string, string>(async (items) => {
      running.push(items);
      await gate.promise;
      return items;
    }, 1);
    const results = [batcher.add('a'), batcher.add('b')];
    await Promise.resolve();
    expect(running).toEqual([['a'], ['b']]);
    gate.release();
    expect(await Promise.all(results)).toEqual(['a', 'b']);
    await batcher.drain();
  });
});
