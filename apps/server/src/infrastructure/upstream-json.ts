import { SwitchyardError } from '@switchyard/core';
import { parseRetryAfter } from '@switchyard/providers';

export interface UpstreamJsonInit {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The caller's signal: its reason is rethrown as is when it aborts. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  /** What is being asked (`search`, `token`), named in messages when given. */
  readonly purpose?: string;
  /** Statuses whose JSON body the caller reads itself instead of failing. */
  readonly passStatuses?: readonly number[];
  /** The service's own short reason from an error body; never the whole body, which could echo the request. */
  readonly errorDetail?: (body: unknown) => string | undefined;
}

export interface UpstreamJsonResponse {
  readonly status: number;
  readonly body: unknown;
}

/** `<label> is unavailable: <reason>`, the 503 every outbound JSON service's failure becomes. */
export function upstreamUnavailable(label: string, reason: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError(
    'SY_ERR_APP_UNAVAILABLE',
    `${label} is unavailable: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

/** Seconds from Retry-After (or a reset header), at least 1; undefined when the service gave none. */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const seconds =
    parseRetryAfter({ 'retry-after': headers.get('retry-after') ?? undefined }) ??
    parseRetryAfter({ 'retry-after': headers.get('x-ratelimit-reset') ?? undefined });
  return seconds === undefined ? undefined : Math.max(1, seconds);
}

/**
 * One JSON request to an outside service (a web-search provider, a marketplace) with its own time
 * limit, no redirects, and every way it can fail turned into a SwitchyardError that names the
 * service (`label`) but never quotes a URL, header or body of ours: 429 → SY_ERR_UPSTREAM_RATE_LIMITED
 * with its Retry-After; unreachable, slow, an error status or not JSON → 503 SY_ERR_APP_UNAVAILABLE.
 */
export async function upstreamJsonRequest(
  label: string,
  url: URL,
  init: UpstreamJsonInit,
): Promise<UpstreamJsonResponse> {
  const deadline = AbortSignal.timeout(init.timeoutMs);
  const signal = AbortSignal.any([init.signal, deadline]);
  const asked = init.purpose ? `${init.purpose}: ` : '';
  let response: Response;
  try {
    response = await init.fetch(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal,
      redirect: 'error',
    });
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    const reason = deadline.aborted ? `no answer within ${init.timeoutMs} ms` : 'not reachable';
    throw upstreamUnavailable(label, `${asked}${reason}`, error);
  }
  if (response.status === 429) {
    await response.body?.cancel().catch(() => {});
    const retryAfter = retryAfterSeconds(response.headers);
    throw new SwitchyardError(
      'SY_ERR_UPSTREAM_RATE_LIMITED',
      `${label} is rate limiting Switchyard${retryAfter ? `; retry in ${retryAfter}s` : ''}`,
      retryAfter ? { retryAfterSeconds: retryAfter } : {},
    );
  }
  if (!response.ok && init.passStatuses?.includes(response.status) !== true) {
    const raw = await response.text().catch(() => '');
    let detail: string | undefined;
    try {
      detail = init.errorDetail?.(JSON.parse(raw))?.slice(0, 200);
    } catch {
      detail = undefined;
    }
    const credentials = response.status === 401 || response.status === 403 || /token|api.?key|auth/i.test(detail ?? '');
    throw upstreamUnavailable(
      label,
      credentials
        ? `it refused Switchyard's credentials (${init.purpose ? `${init.purpose}, ` : ''}HTTP ${response.status})`
        : `${asked}HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
    );
  }
  try {
    return { status: response.status, body: await response.json() };
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason ?? error;
    if (deadline.aborted) throw upstreamUnavailable(label, `${asked}no answer within ${init.timeoutMs} ms`);
    throw upstreamUnavailable(label, `${asked}it answered with something not JSON`, error);
  }
}
