/** A comment line this often keeps proxies from closing an idle stream. */
export type Heartbeat = { kind: 'heartbeat' };

export interface FollowChanges<T> {
  /** Calls `onChange` whenever any process records something new; resolves to the unwatch function. */
  watch(onChange: () => void): Promise<() => void>;
  /** Ends the stream (the client went away, or the server is shutting down). */
  signal: AbortSignal;
  /** Between changes, a heartbeat this often. */
  heartbeatMs: number;
  /** Runs once after watching and before the first read; returning true ends the stream. */
  start?(): AsyncGenerator<T | Heartbeat, boolean | undefined>;
  /** Reads and yields everything new since the last call; returning true ends the stream. */
  drain(): AsyncGenerator<T | Heartbeat, boolean | undefined>;
}

/**
 * The loop behind every live stream that follows a log (a flow's events, a gift session, a user's
 * notifications): watch first, so nothing recorded between watching and the first read is missed;
 * read whatever is new each time something changed; otherwise wait, sending a heartbeat now and then.
 */
export async function* followChanges<T>(follow: FollowChanges<T>): AsyncGenerator<T | Heartbeat> {
  const { signal, heartbeatMs } = follow;
  let changed = true;
  let wake: (() => void) | undefined;
  const unwatch = await follow.watch(() => {
    changed = true;
    wake?.();
  });
  try {
    if (follow.start && (yield* follow.start())) return;
    while (!signal.aborted) {
      while (changed) {
        changed = false;
        if (yield* follow.drain()) return;
      }
      let timer: NodeJS.Timeout | undefined;
      let stop: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        stop = resolve;
        timer = setTimeout(resolve, heartbeatMs);
        signal.addEventListener('abort', stop, { once: true });
      });
      wake = undefined;
      clearTimeout(timer);
      // One listener per wait would pile up on a stream that lives for hours.
      if (stop) signal.removeEventListener('abort', stop);
      if (!changed && !signal.aborted) yield { kind: 'heartbeat' };
    }
  } finally {
    unwatch();
  }
}
