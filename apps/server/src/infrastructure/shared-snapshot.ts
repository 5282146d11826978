import type { ChangeCounter } from '@switchyard/core';
import type { Logger } from 'pino';

/**
 * A set of rows every process keeps in memory (API keys, plans), and how it stays current: reloads
 * coalesce (one in flight, at most one queued behind it), and with a shared change counter (Redis)
 * a process reloads before its next request once any process has bumped the counter past what it loaded.
 */
export interface SharedSnapshot {
  /** Loads again; a reload already in flight is joined and one more is queued behind it. */
  reload(): Promise<void>;
  /** With a counter: reloads when another process changed the rows since the last load. */
  ensureFresh(): Promise<void> | undefined;
  /** After a committed change: bumps the counter, so every process reloads before its next request. */
  markChanged(): Promise<void>;
  /** The load under way, if any. */
  readonly inFlight: Promise<void> | null;
  /** When the last load started (performance.now()). */
  readonly lastStartedAt: number;
}

export function createSharedSnapshot(options: {
  /** What is kept, for log lines ("API keys", "plans"). */
  what: string;
  /** Reads the rows and swaps them in. */
  load: () => Promise<void>;
  counter: ChangeCounter | null;
  logger: Pick<Logger, 'warn' | 'error'>;
}): SharedSnapshot {
  const { what, load, counter, logger } = options;
  /** The counter's value read before the rows in memory were loaded: they hold every change up to it. */
  let loadedAt = 0;
  let warnedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | null = null;
  let again = false;
  let lastStartedAt = 0;

  async function loadOnce(): Promise<void> {
    lastStartedAt = performance.now();
    const generation = counter ? await counter.read().catch(() => null) : 0;
    await load();
    if (generation !== null) loadedAt = Math.max(loadedAt, generation);
  }

  function reload(): Promise<void> {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          await loadOnce();
        } while (again);
      } catch (error) {
        logger.error({ err: error }, `reloading ${what} failed; keeping the previous set`);
        throw error;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  async function reloadIfBehind(shared: ChangeCounter): Promise<void> {
    let current: number;
    try {
      current = await shared.read();
    } catch (error) {
      if (performance.now() - warnedAt > 60_000) {
        warnedAt = performance.now();
        logger.warn({ reason: (error as Error).message }, `${what}: change counter unreadable; using those in memory`);
      }
      return;
    }
    if (current > loadedAt) await reload().catch(() => {});
  }

  return {
    reload,
    ensureFresh: () => (counter ? reloadIfBehind(counter) : undefined),
    async markChanged() {
      // The change is committed already: if the counter is down, the notification still carries it.
      await counter?.bump().catch((error: Error) => {
        logger.warn(
          { reason: error.message },
          `${what}: change counter unwritable; other processes learn by notification`,
        );
      });
    },
    get inFlight() {
      return inFlight;
    },
    get lastStartedAt() {
      return lastStartedAt;
    },
  };
}
