import { isSwitchyardError, SwitchyardError } from '../errors';
import { backoffDelayMs, type RetryPolicy, sleep } from './backoff';

export interface AttemptFailure<C> {
  candidate: C;
  error: unknown;
  round: number;
}

export interface FallbackOptions<C> {
  signal?: AbortSignal;
  /**
   * Instead of `signal`: the caller's own controller, used for the attempts as
   * it is (aborting it cancels them; the deadline aborts it too). Saves an
   * AbortSignal and a listener per call, which cost measurably on Node 20.
   */
  controller?: AbortController;
  /** Called for every failed attempt (for logs and metrics). */
  onFailure?(failure: AttemptFailure<C>): void;
  random?: () => number;
  now?: () => number;
}

export interface FallbackResult<C, T> {
  value: T;
  candidate: C;
  attempts: number;
}

function retryAfterOf(error: unknown): number | undefined {
  return isSwitchyardError(error) ? error.retryAfterSeconds : undefined;
}

export function isRetryableError(error: unknown): boolean {
  return isSwitchyardError(error) && error.isRetryable;
}

/**
 * Tries candidates in order; a retryable failure (429, 5xx, timeout,
 * connection error) moves on to the next one at once. When a whole round
 * failed, waits with jittered exponential back-off (at least what Retry-After
 * asked) and starts another round, within `maxAttempts` rounds and the total
 * deadline. A non-retryable failure ends everything at once: another
 * deployment would reject the same bad request.
 */
export async function runWithFallbacks<C, T>(
  candidates: readonly C[],
  attempt: (candidate: C, attemptSignal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  options: FallbackOptions<C> = {},
): Promise<FallbackResult<C, T>> {
  if (candidates.length === 0)
    throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', 'No deployment can serve this model');
  const now = options.now ?? Date.now;
  const deadlineAt = now() + policy.deadlineMs;
  // One controller and one timer per request: AbortSignal.timeout/any cost measurably on the hot path.
  const own = options.controller === undefined;
  const controller = options.controller ?? new AbortController();
  const signal = controller.signal;
  let deadlinePassed = false;
  const timer = setTimeout(() => {
    deadlinePassed = true;
    controller.abort(new DOMException('The request deadline passed', 'TimeoutError'));
  }, policy.deadlineMs);
  /** The caller gave up (as opposed to the deadline passing). */
  const callerAborted = () => (own ? options.signal?.aborted === true : signal.aborted && !deadlinePassed);
  const forwardAbort = () => controller.abort(options.signal?.reason);
  if (own) {
    if (options.signal?.aborted) forwardAbort();
    else options.signal?.addEventListener('abort', forwardAbort, { once: true });
  }
  let succeeded = false;
  try {
    const result = await attemptAll();
    succeeded = true;
    return result;
  } finally {
    clearTimeout(timer);
    // The winning attempt's signal stays linked to the caller's: a stream that outlives this call
    // is still cancelled at once when the caller goes away (a client that disconnects mid-stream).
    if (own && !succeeded) options.signal?.removeEventListener('abort', forwardAbort);
  }

  async function attemptAll(): Promise<FallbackResult<C, T>> {
    let attempts = 0;
    let lastError: unknown;
    for (let round = 1; round <= Math.max(1, policy.maxAttempts); round += 1) {
      let shortestRetryAfter: number | undefined;
      for (const candidate of candidates) {
        if (signal.aborted) break;
        attempts += 1;
        try {
          return { value: await attempt(candidate, signal), candidate, attempts };
        } catch (error) {
          if (callerAborted()) throw error;
          lastError = error;
          options.onFailure?.({ candidate, error, round });
          if (!isRetryableError(error)) throw error;
          const retryAfter = retryAfterOf(error);
          if (retryAfter !== undefined) shortestRetryAfter = Math.min(shortestRetryAfter ?? retryAfter, retryAfter);
        }
      }
      if (round >= policy.maxAttempts || signal.aborted) break;
      const delay = backoffDelayMs(round, policy, shortestRetryAfter, options.random);
      if (now() + delay >= deadlineAt) break;
      try {
        await sleep(delay, signal);
      } catch (error) {
        if (callerAborted()) throw error;
        break;
      }
    }
    if (deadlinePassed && !isSwitchyardError(lastError)) {
      throw new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', 'No deployment answered within the request deadline');
    }
    throw (
      lastError ?? new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', 'No deployment answered within the request deadline')
    );
  }
}
