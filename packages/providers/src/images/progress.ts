/**
 * Wraps a progress listener so fractions never go backwards and a throwing
 * listener cannot abandon a job the upstream is already running: progress is
 * advisory.
 */
export function createProgressReporter(listener: ((fraction: number) => void) | undefined): (fraction: number) => void {
  let reported = -1;
  return (fraction) => {
    if (listener === undefined || fraction <= reported) return;
    reported = fraction;
    try {
      listener(fraction);
    } catch {
      // See above: never let a listener's bug fail the generation.
    }
  };
}
