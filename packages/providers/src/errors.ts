import { SwitchyardError } from '@switchyard/core';

/**
 * Maps everything that can go wrong talking to an upstream onto SwitchyardError,
 * so routing, retries and fallbacks decide on stable codes instead of parsing
 * provider-specific messages. Upstream bodies are untrusted: only a short,
 * sanitized message from 4xx bodies survives, never credentials or 5xx internals.
 */

const maxMessageLength = 300;

export type HeaderValues = Record<string, string | string[] | undefined>;

export interface UpstreamErrorContext {
  providerId: string;
  /** Values that must never appear in a message, e.g. the upstream API key. */
  secrets?: readonly string[];
}

function headerValue(headers: HeaderValues, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds until a retry may succeed, from `Retry-After` (seconds or HTTP-date) or OpenAI's `retry-after-ms`. */
export function parseRetryAfter(headers: HeaderValues, now: number = Date.now()): number | undefined {
  const milliseconds = headerValue(headers, 'retry-after-ms');
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds.trim())) {
    return Math.max(0, Math.ceil(Number(milliseconds) / 1000));
  }
  const value = headerValue(headers, 'retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Strips secrets, key-like tokens and control characters, and bounds the length. */
export function sanitizeUpstreamMessage(message: string, secrets: readonly string[] = []): string {
  let clean = message;
  for (const secret of secrets) {
    if (secret.length >= 4) clean = clean.split(secret).join('[redacted]');
  }
  clean = clean
    .replace(/\b(sk|rk|xai|gsk)-[A-Za-z0-9_*.-]{6,}/g, '[redacted]')
    .replace(/Bearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\p{Cc}+/gu, ' ')
    .trim();
  return clean.length > maxMessageLength ? `${clean.slice(0, maxMessageLength)}…` : clean;
}

interface UpstreamErrorFields {
  message?: string;
  type?: string;
  code?: string | number;
}

/** Reads both OpenAI (`{error:{message,type,code}}`) and Ollama (`{error:"..."}`) error shapes. */
export function readUpstreamErrorFields(body: unknown): UpstreamErrorFields {
  if (typeof body === 'string') {
    try {
      return readUpstreamErrorFields(JSON.parse(body));
    } catch {
      return body.trim() === '' ? {} : { message: body };
    }
  }
  if (body === null || typeof body !== 'object') return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'string') return { message: error };
  const source = error !== null && typeof error === 'object' ? error : body;
  const fields: UpstreamErrorFields = {};
  const { message, type, code } = source as Record<string, unknown>;
  if (typeof message === 'string') fields.message = message;
  if (typeof type === 'string') fields.type = type;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  return fields;
}

function looksLikeUnknownModel(fields: UpstreamErrorFields): boolean {
  if (fields.code === 'model_not_found') return true;
  const message = fields.message ?? '';
  return /model\b.*\b(not found|does not exist)/i.test(message);
}

/** An upstream answered with a non-2xx status. */
/**
 * Google APIs say how long to wait in the body rather than in Retry-After:
 * `error.details[] {"@type": "…google.rpc.RetryInfo", "retryDelay": "30s"}`.
 */
export function retryDelayFromBody(body: unknown): number | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const details = (parsed as { error?: { details?: unknown } } | null)?.error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const entry = detail as { '@type'?: unknown; retryDelay?: unknown };
    if (typeof entry['@type'] !== 'string' || !entry['@type'].endsWith('RetryInfo')) continue;
    const match = typeof entry.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(entry.retryDelay) : null;
    if (match?.[1]) return Math.ceil(Number(match[1]));
  }
  return undefined;
}

export function upstreamStatusError(
  context: UpstreamErrorContext,
  status: number,
  headers: HeaderValues,
  body: unknown,
): SwitchyardError {
  const { providerId } = context;
  const fields = readUpstreamErrorFields(body);
  const details: Record<string, unknown> = { provider: providerId, upstreamStatus: status };
  if (fields.code !== undefined) details.upstreamCode = fields.code;
  if (fields.type !== undefined) details.upstreamType = fields.type;
  const upstreamMessage = fields.message === undefined ? '' : sanitizeUpstreamMessage(fields.message, context.secrets);
  const suffix = upstreamMessage === '' ? '' : `: ${upstreamMessage}`;

  if (status === 404 && looksLikeUnknownModel(fields)) {
    return new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `Upstream ${providerId} does not know this model${suffix}`, {
      isRetryable: false,
      details,
    });
  }
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    return new SwitchyardError('SY_ERR_UPSTREAM_BAD_REQUEST', `Upstream ${providerId} rejected the request${suffix}`, {
      status: 400,
      isRetryable: false,
      details,
    });
  }
  if (status === 401 || status === 403) {
    // The client's request is fine; our credentials for the upstream are not. The
    // upstream message often quotes part of the key, so it is dropped entirely.
    return new SwitchyardError(
      'SY_ERR_UPSTREAM',
      `Upstream ${providerId} rejected Switchyard's credentials (HTTP ${status})`,
      { status: 502, isRetryable: false, details },
    );
  }
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(headers) ?? retryDelayFromBody(body);
    return new SwitchyardError('SY_ERR_UPSTREAM_RATE_LIMITED', `Upstream ${providerId} is rate limiting requests`, {
      isRetryable: true,
      details,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (status === 408) {
    return new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', `Upstream ${providerId} timed out (HTTP ${status})`, {
      isRetryable: true,
      details,
    });
  }
  if (status >= 500) {
    return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${providerId} failed (HTTP ${status})`, {
      status: 502,
      isRetryable: true,
      details,
    });
  }
  if (status >= 400) {
    return new SwitchyardError('SY_ERR_UPSTREAM_BAD_REQUEST', `Upstream ${providerId} rejected the request${suffix}`, {
      status: 400,
      isRetryable: false,
      details,
    });
  }
  return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${providerId} answered with unexpected HTTP ${status}`, {
    status: 502,
    isRetryable: false,
    details,
  });
}

/** An error object that arrived inside an otherwise successful (200) stream. */
export function upstreamStreamError(context: UpstreamErrorContext, body: unknown): SwitchyardError {
  const fields = readUpstreamErrorFields(body);
  // vLLM and some proxies put the HTTP status they would have sent into `code`.
  if (typeof fields.code === 'number' && fields.code >= 400 && fields.code <= 599) {
    return upstreamStatusError(context, fields.code, {}, body);
  }
  const kind = `${fields.type ?? ''} ${fields.code ?? ''}`;
  if (/rate_limit/i.test(kind)) return upstreamStatusError(context, 429, {}, body);
  const message = fields.message === undefined ? '' : `: ${sanitizeUpstreamMessage(fields.message, context.secrets)}`;
  const details: Record<string, unknown> = { provider: context.providerId };
  if (fields.code !== undefined) details.upstreamCode = fields.code;
  if (fields.type !== undefined) details.upstreamType = fields.type;
  return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${context.providerId} failed mid-stream${message}`, {
    status: 502,
    isRetryable: true,
    details,
  });
}

/** The upstream answered 2xx but with something we cannot read, or a stream ended early. */
export function upstreamProtocolError(
  context: UpstreamErrorContext,
  problem: string,
  cause?: unknown,
): SwitchyardError {
  return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${context.providerId} ${problem}`, {
    status: 502,
    isRetryable: true,
    details: { provider: context.providerId },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The upstream answered 2xx with JSON of the wrong shape: a field Switchyard reads is missing or of another
 * type. Not retryable: the same upstream answers the same way again. `problem` names the field, never its value.
 */
export function upstreamShapeError(context: UpstreamErrorContext, what: string, problem: string): SwitchyardError {
  const clean = sanitizeUpstreamMessage(problem, context.secrets);
  return new SwitchyardError(
    'SY_ERR_UPSTREAM',
    `Upstream ${context.providerId} sent ${what} Switchyard cannot read: ${clean}`,
    {
      status: 502,
      isRetryable: false,
      details: { provider: context.providerId, problem: clean },
    },
  );
}

export function upstreamTimeoutError(
  context: UpstreamErrorContext,
  timeoutMs: number,
  cause?: unknown,
): SwitchyardError {
  return new SwitchyardError(
    'SY_ERR_UPSTREAM_TIMEOUT',
    `Upstream ${context.providerId} did not answer within ${timeoutMs} ms`,
    {
      isRetryable: true,
      details: { provider: context.providerId, timeoutMs },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const timeoutCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Finds the first system or undici error code in an error, its `cause` chain and AggregateError members. */
export function findErrorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const members = (error as { errors?: unknown }).errors;
  if (Array.isArray(members)) {
    for (const member of members) {
      const found = findErrorCode(member, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return findErrorCode((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * A transport failure. Before response headers the upstream is unreachable (503);
 * once a body was flowing, the answer is incomplete, which is an upstream failure (502).
 */
export function upstreamNetworkError(
  context: UpstreamErrorContext,
  error: unknown,
  phase: 'connect' | 'body',
  timeoutMs: number,
): SwitchyardError {
  const code = findErrorCode(error);
  if (code !== undefined && timeoutCodes.has(code)) return upstreamTimeoutError(context, timeoutMs, error);
  const details: Record<string, unknown> = { provider: context.providerId };
  if (code !== undefined) details.networkCode = code;
  if (phase === 'body') {
    return new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${context.providerId} connection broke mid-response`, {
      status: 502,
      isRetryable: true,
      details,
      cause: error,
    });
  }
  const reason = code !== undefined && unavailableCodes.has(code) ? ` (${code})` : '';
  return new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', `Upstream ${context.providerId} is unreachable${reason}`, {
    isRetryable: true,
    details,
    cause: error,
  });
}

/** What `fetch` does on abort: surface the caller's reason, or a standard AbortError. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
