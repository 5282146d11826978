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
