import { abortError, type UpstreamErrorContext, upstreamTimeoutError } from '../errors';

export interface GenerationDeadline {
  /** Aborts when the caller aborts (with the caller's reason) or the time is up (with a timeout SwitchyardError). */
  readonly signal: AbortSignal;
  /** Stops the timer; call once the generation settled. */
  dispose(): void;
}

/**
 * One timer for a whole generation. Its abort reason is the timeout error
 * itself, so the shared HTTP client (which rethrows an aborted caller's
 * reason) and our own waits surface SY_ERR_UPSTREAM_TIMEOUT unchanged.
 */
export function createGenerationDeadline(
  context: UpstreamErrorContext,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): GenerationDeadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(upstreamTimeoutError(context, timeoutMs)), timeoutMs);
  const signal = callerSignal === undefined ? controller.signal : AbortSignal.any([callerSignal, controller.signal]);
  return {
    signal,
    dispose: () => clearTimeout(timer),
  };
}

/** Waits, but gives up at once with the signal's reason when it aborts. */
export function sleep(durationMs: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, durationMs);
    function onAbort() {
      clearTimeout(timer);
      reject(abortError(signal));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
