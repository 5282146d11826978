export interface EventuallyOptions {
  /**
   * Ends the wait for something that never comes, so a broken build fails
   * instead of hanging; never what makes a passing test pass. Default 10 s.
   */
  safetyMs?: number;
  /** Pause between tries. Default 10 ms. */
  intervalMs?: number;
}

/**
 * Runs `assertion` until it stops throwing and returns its result; when the
 * safety bound runs out, throws the assertion's last error. Use it to wait for
 * an event the test cannot subscribe to, never to let time decide an outcome.
 */
export async function eventually<T>(
  assertion: () => T | Promise<T>,
  { safetyMs = 10_000, intervalMs = 10 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + safetyMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
