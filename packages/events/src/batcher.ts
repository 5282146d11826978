/**
 * Group commit: items added while a batch is in flight wait and go together in the next one, so
 * an idle bus sends each item at once (no added latency) and a busy one sends one round trip per
 * batch instead of one per item. Every item's promise settles with its batch.
 */
/** The bus's and the embedded transport's default batch size. */
export const defaultBatchSize = 100;

export interface Batcher<Item, Result> {
  add(item: Item): Promise<Result>;
  /** Resolves once everything added so far has been sent (settled either way). */
  drain(): Promise<void>;
}

/**
 * `run` gets 1..maxSize items and returns one result per item, in order. With `maxSize` 1 every
 * item is sent on its own, at once and concurrently with the others (one round trip per item).
 */
export function createBatcher<Item, Result>(
  run: (items: Item[]) => Promise<Result[]>,
  maxSize: number,
): Batcher<Item, Result> {
  interface Waiting {
    item: Item;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }
  const queue: Waiting[] = [];
  const unbatched = new Set<Promise<unknown>>();
  let flushing: Promise<void> | undefined;
  let scheduled = false;

  async function send(batch: Waiting[]): Promise<void> {
    try {
      const results = await run(batch.map((waiting) => waiting.item));
      for (const [index, waiting] of batch.entries()) waiting.resolve(results[index] as Result);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) await send(queue.splice(0, maxSize));
  }

  function schedule(): void {
    if (flushing || scheduled) return;
    scheduled = true;
    // Items added in the same turn of the event loop join the first batch.
    queueMicrotask(() => {
      scheduled = false;
      flushing = flush().finally(() => {
        flushing = undefined;
        if (queue.length > 0) schedule();
      });
    });
  }

  return {
    add(item) {
      if (maxSize <= 1) {
        const single = run([item]).then((results) => results[0] as Result);
        const settled = single.then(
          () => {},
          () => {},
        );
        unbatched.add(settled);
        void settled.finally(() => unbatched.delete(settled));
        return single;
      }
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    async drain() {
      while (flushing || scheduled || queue.length > 0 || unbatched.size > 0) {
        if (flushing) await flushing;
        else if (unbatched.size > 0) await Promise.all(unbatched);
        else await new Promise<void>((resolve) => queueMicrotask(resolve));
      }
    },
  };
}
