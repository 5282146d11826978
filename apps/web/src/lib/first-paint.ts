import { useEffect, useState } from 'react';

/**
 * A virtualized list's overscan (rows drawn beyond the viewport): none for the first paint of its
 * rows, `overscan` from the frame after. The first paint of the chat page then draws only the rows in
 * view (each answer's Markdown is parsed as its row renders), and the rows beyond follow once that
 * frame is on screen, before anyone can scroll to them. `ready`: the list has rows to draw.
 */
export function useFirstPaintOverscan(overscan: number, ready: boolean): number {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    if (painted || !ready) return;
    // A frame callback runs before that frame's paint; the task it queues runs after it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPainted(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [painted, ready]);
  return painted ? overscan : 0;
}

/**
 * The page's requests that its first paint does not need (the header's projects and notifications,
 * the chat's folders, models, apps and file limits) wait for that paint: sent in the first commit's
 * effects, they took the main thread's time in the task that drew the page, and the server's (on the
 * same machine in development and in the benchmarks) while it answered the page's own requests.
 * main.tsx holds them (`holdUntilFirstPaint`) before it renders; App releases them the frame after it
 * drew a page (`useReleaseAfterPaint`). Without a hold (tests, a component on its own) nothing waits.
 */
let held: Promise<void> | null = null;
let release: (() => void) | null = null;

export function holdUntilFirstPaint(): void {
  held ??= new Promise<void>((resolve) => {
    release = resolve;
  });
}

/** Settles once the page's first paint is on screen (at once when nothing holds the requests). */
export function afterFirstPaint(): Promise<void> {
  return held ?? Promise.resolve();
}

/** `fetch`, sent once the page's first paint is on screen: for a query's queryFn. */
export function whenPainted<T>(fetch: () => Promise<T>): () => Promise<T> {
  return () => afterFirstPaint().then(fetch);
}

/** Releases the held requests the frame after the first commit with `drawn` true (a page, not a placeholder). */
export function useReleaseAfterPaint(drawn: boolean): void {
  useEffect(() => {
    if (!drawn || !release) return;
    const done = release;
    // A hidden tab paints nothing (and runs no frame callbacks) until it is shown.
    if (document.visibilityState === 'hidden') {
      release = null;
      done();
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => {
        release = null;
        done();
      }, 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [drawn]);
}
