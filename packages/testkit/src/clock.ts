/** Time that moves only when a test calls `advance` (or `set`). */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A controllable clock, by default at 2026-01-01T12:00:00Z. */
export function createManualClock(start = Date.UTC(2026, 0, 1, 12)): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      if (ms < 0) throw new Error('a manual clock only moves forward');
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}
