import { upstreamSecretValues } from '@switchyard/core';
import { type Dispatcher, Pool, ProxyAgent } from 'undici';
import {
  abortError,
  type HeaderValues,
  type UpstreamErrorContext,
  upstreamNetworkError,
  upstreamProtocolError,
  upstreamStatusError,
  upstreamTimeoutError,
} from './errors';
import type { ProviderConfig } from './spec';

/** Generous because local runtimes (Ollama) may load a model before the first byte. */
export const defaultTimeoutMs = 300_000;
const maxErrorBodyBytes = 64 * 1024;

export interface UpstreamHttpOptions {
  providerId: string;
  baseURL: string;
  /** Sent with every request; `authorization` here wins over `apiKey`. */
  headers?: Record<string, string>;
  apiKey?: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  firstTokenTimeoutMs?: number;
  idleTimeoutMs?: number;
  totalTimeoutMs?: number;
  proxy?: string;
  /**
   * Values scrubbed from error messages. Default: the key, every header value, and the credentials and
   * query parameters of the base URL and proxy.
   */
  secrets?: readonly string[];
}

type TransportOptions = Pick<
  UpstreamHttpOptions,
  'timeoutMs' | 'connectTimeoutMs' | 'firstTokenTimeoutMs' | 'idleTimeoutMs' | 'totalTimeoutMs' | 'proxy'
>;

/** The timeouts and proxy of a provider's config, in the shape the HTTP client takes. */
export function transportOptions(config: ProviderConfig): TransportOptions {
  const options: TransportOptions = {};
  if (config.timeoutMs !== undefined) options.timeoutMs = config.timeoutMs;
  if (config.connectTimeoutMs !== undefined) options.connectTimeoutMs = config.connectTimeoutMs;
  if (config.firstTokenTimeoutMs !== undefined) options.firstTokenTimeoutMs = config.firstTokenTimeoutMs;
  if (config.idleTimeoutMs !== undefined) options.idleTimeoutMs = config.idleTimeoutMs;
  if (config.totalTimeoutMs !== undefined) options.totalTimeoutMs = config.totalTimeoutMs;
  if (config.proxy !== undefined) options.proxy = config.proxy;
  return options;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Appended to the base URL's path, e.g. `/chat/completions`. */
  path: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /**
   * Streams may legitimately run longer than `timeoutMs` while tokens keep
   * flowing, so for them the timeout bounds the wait for headers and for each
   * next chunk instead of the whole exchange.
   */
  streaming?: boolean;
}

export interface UpstreamResponse {
  status: number;
  headers: HeaderValues;
  /**
   * The body's bytes as they arrive, for `stream-reader.ts`; transport failures come out as SwitchyardError, and
   * leaving before the end tears the request down.
   */
  body(): AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Reads and drops what is left so the keep-alive connection can be reused. */
  discard(): Promise<void>;
}

export interface UpstreamHttpClient {
  readonly errorContext: UpstreamErrorContext;
  readonly timeoutMs: number;
  /** Resolves for 2xx answers; any other status is thrown as a mapped SwitchyardError. */
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

interface Deadline {
  readonly expired: boolean;
  /** The duration of the timer that fired, for the error message. */
  readonly expiredAfterMs: number;
  /** Starts (or restarts) a wait of at most `durationMs` from now. */
  arm(durationMs: number): void;
  /** Not waiting any more; the time until the next `arm` does not count. */
  disarm(): void;
  /** Stops the timer for good. */
  stop(): void;
}

/**
 * A deadline that aborts the request's one shared controller; it remembers
 * whether it was the one that fired. Re-arming (a stream's idle timer, once
 * per chunk) only records a timestamp: the one underlying timer checks, when
 * it fires, whether the current wait has really lasted its whole duration and
 * otherwise sleeps for what is left. A timer re-armed per chunk cost
 * measurably on the streaming path.
 */
function createDeadline(abort: (reason: unknown) => void): Deadline {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  let expiredAfterMs = 0;
  let waiting = false;
  let waitStartedAt = 0;
  let durationMs = 0;
  let stopped = false;
  const check = () => {
    timer = undefined;
    if (stopped) return;
    if (!waiting) {
      // Not waiting on the upstream now: look again one full duration later at the earliest.
      timer = setTimeout(check, durationMs);
      return;
    }
    const left = waitStartedAt + durationMs - performance.now();
    if (left > 1) {
      timer = setTimeout(check, left);
      return;
    }
    expired = true;
    expiredAfterMs = durationMs;
    abort(new DOMException('Upstream deadline passed', 'TimeoutError'));
  };
  return {
    get expired() {
      return expired;
    },
    get expiredAfterMs() {
      return expiredAfterMs;
    },
    arm(duration) {
      if (stopped) return;
      waiting = true;
      waitStartedAt = performance.now();
      if (timer === undefined) {
        durationMs = duration;
        timer = setTimeout(check, duration);
      } else if (duration < durationMs) {
        // A shorter wait than the sleeping timer covers: restart it (rare: first-token → idle).
        durationMs = duration;
        clearTimeout(timer);
        timer = setTimeout(check, duration);
      } else {
        durationMs = duration;
      }
    },
    disarm() {
      waiting = false;
    },
    stop() {
      stopped = true;
      waiting = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function trimTrailingSlashes(value: string): string {
  return value.replace(/\/+$/, '');
}

export interface ProviderHttpOptions {
  /** Used when the config leaves `baseURL` empty (providers with a well-known endpoint). */
  defaultBaseURL?: string;
  /** The header the upstream reads its key from; default: `Authorization: Bearer <key>`. */
  keyHeader?: string;
  /** Sent before the configured headers, so an operator's headers win. */
  headers?: Record<string, string>;
}

/**
 * The HTTP client every adapter builds from its config: base URL, key,
 * headers, timeouts and proxy. Error messages are scrubbed of every
 * credential-like value of the config (key, configured header values such as
 * Azure's `api-key`, URL and proxy credentials), not of the adapter's own
 * fixed headers.
 */
export function createProviderHttpClient(
  config: ProviderConfig,
  options: ProviderHttpOptions = {},
): UpstreamHttpClient {
  const headers: Record<string, string> = { ...options.headers };
  const hasKey = config.apiKey !== undefined && config.apiKey !== '';
  if (hasKey && options.keyHeader) headers[options.keyHeader] = config.apiKey as string;
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  const http = createUpstreamHttpClient({
    providerId: config.id,
    baseURL: config.baseURL === '' && options.defaultBaseURL ? options.defaultBaseURL : config.baseURL,
    headers,
    ...(hasKey && !options.keyHeader ? { apiKey: config.apiKey as string } : {}),
    ...transportOptions(config),
    secrets: upstreamSecretValues(config),
  });
  return http;
}

export function createUpstreamHttpClient(options: UpstreamHttpOptions): UpstreamHttpClient {
  const base = new URL(options.baseURL);
  const pathPrefix = trimTrailingSlashes(base.pathname);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const errorContext: UpstreamErrorContext = {
    providerId: options.providerId,
    secrets: options.secrets ?? upstreamSecretValues(options),
  };
  // One keep-alive pool per provider; our own deadline replaces undici's
  // header/body timeouts so every timeout maps to the same error.
  const connectTimeout = options.connectTimeoutMs ?? Math.min(timeoutMs, 10_000);
  const firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? timeoutMs;
  const idleTimeoutMs = options.idleTimeoutMs ?? timeoutMs;
  const pool: Dispatcher = options.proxy
    ? // Seed 002 routes Gemini through an outbound proxy: CONNECT tunnels for https, absolute URLs for http.
      new ProxyAgent({
        uri: options.proxy,
        keepAliveTimeout: 30_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: connectTimeout },
        proxyTls: { timeout: connectTimeout },
      })
    : new Pool(base.origin, {
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: connectTimeout },
      });
  const baseHeaders: Record<string, string> = {
    accept: 'application/json, text/event-stream, application/x-ndjson',
    'user-agent': 'switchyard',
  };
  if (options.apiKey !== undefined && options.apiKey !== '') {
    baseHeaders.authorization = `Bearer ${options.apiKey}`;
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) baseHeaders[name.toLowerCase()] = value;

  function failure(
    error: unknown,
    callerSignal: AbortSignal | undefined,
    deadline: Deadline,
    phase: 'connect' | 'body',
  ) {
    if (callerSignal?.aborted) return abortError(callerSignal);
    if (deadline.expired) return upstreamTimeoutError(errorContext, deadline.expiredAfterMs, error);
    return upstreamNetworkError(errorContext, error, phase, timeoutMs);
  }

  /**
   * A non-streamed exchange, without a Readable body stream, an AbortSignal or
   * an async generator: undici's dispatch API with a handler that collects the
   * body, and one deadline that aborts the request through undici's own abort
   * callback. (An AbortSignal alone cost ~4 µs to create on Node 20.)
   */
  function sendBuffered(
    request: UpstreamRequest,
    headers: Record<string, string>,
    body: string | null,
  ): Promise<UpstreamResponse> {
    const callerSignal = request.signal;
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let abortRequest: ((reason: unknown) => void) | null = null;
      let pendingAbort: unknown;
      let aborted = false;
      let settled = false;
      const abort = (reason: unknown) => {
        if (aborted || settled) return;
        aborted = true;
        pendingAbort = reason;
        abortRequest?.(reason);
      };
      const deadline = createDeadline(abort);
      const onCallerAbort = () => abort(callerSignal?.reason);
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      let statusCode = 0;
      let rawHeaders: Buffer[] | null = null;
      let gotHeaders = false;
      const pieces: Buffer[] = [];
      let size = 0;
      const finish = () => {
        settled = true;
        deadline.stop();
        callerSignal?.removeEventListener('abort', onCallerAbort);
      };
      deadline.arm(options.totalTimeoutMs ?? timeoutMs);
      const handler: Dispatcher.DispatchHandler = {
        onConnect(abortThis) {
          abortRequest = (reason) => abortThis(reason as Error);
          if (aborted) abortThis(pendingAbort as Error);
        },
        onHeaders(status, headers) {
          statusCode = status;
          // Decoded only when read: a 2xx answer's headers rarely are (an error's always, for Retry-After).
          rawHeaders = headers as Buffer[];
          gotHeaders = true;
          return true;
        },
        onData(chunk) {
          // An error answer is only read for its message: keep its first 64 KiB, drain the rest.
          if (statusCode >= 200 && statusCode < 300) pieces.push(chunk);
          else if (size < maxErrorBodyBytes) pieces.push(chunk);
          size += chunk.length;
          return true;
        },
        onComplete() {
          finish();
          const text =
            pieces.length === 1 ? (pieces[0] as Buffer).toString('utf8') : Buffer.concat(pieces).toString('utf8');
          if (statusCode < 200 || statusCode >= 300) {
            reject(upstreamStatusError(errorContext, statusCode, parseRawHeaders(rawHeaders), text));
            return;
          }
          resolve(bufferedResponse(statusCode, rawHeaders, text));
        },
        onError(error) {
          finish();
          if (callerSignal?.aborted) {
            reject(abortError(callerSignal));
            return;
          }
          if (deadline.expired) {
            reject(upstreamTimeoutError(errorContext, deadline.expiredAfterMs, error));
            return;
          }
          reject(upstreamNetworkError(errorContext, error, gotHeaders ? 'body' : 'connect', timeoutMs));
        },
      };
      if (callerSignal?.aborted) {
        finish();
        reject(abortError(callerSignal));
        return;
      }
      pool.dispatch(
        { origin: base.origin, path: `${pathPrefix}${request.path}`, method: request.method, headers, body },
        handler,
      );
    });
  }

  function bufferedResponse(status: number, rawHeaders: Buffer[] | null, text: string): UpstreamResponse {
    let headers: HeaderValues | undefined;
    return {
      status,
      get headers() {
        headers ??= parseRawHeaders(rawHeaders);
        return headers;
      },
      async *body() {
        if (text !== '') yield Buffer.from(text);
      },
      text: async () => text,
      async json() {
        try {
          return JSON.parse(text);
        } catch (error) {
          throw upstreamProtocolError(errorContext, 'answered with invalid JSON', error);
        }
      },
      discard: async () => {},
    };
  }

  async function send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const callerSignal = request.signal;
    if (callerSignal?.aborted) throw abortError(callerSignal);
    const streaming = request.streaming === true;
    // Streams: a first-token timer, then an idle timer re-armed per chunk, plus an optional cap on the whole
    // exchange. Everything else: one timer for the whole exchange.
    // One controller per request that the timers and the caller's signal all abort: cheaper on the hot
    // path than a controller per timer joined with AbortSignal.any.
    const headers = { ...baseHeaders };
    let payload: string | undefined;
    if (request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    if (!streaming) return sendBuffered(request, headers, payload ?? null);
    const controller = new AbortController();
    const abort = (reason: unknown) => controller.abort(reason);
    const deadline = createDeadline(abort);
    const total = createDeadline(abort);
    callerSignal?.addEventListener('abort', () => controller.abort(callerSignal.reason), { once: true });
    const signal = controller.signal;
    const expiredDeadline = (): Deadline => (total.expired ? total : deadline);
    if (streaming) {
      deadline.arm(firstTokenTimeoutMs);
      if (options.totalTimeoutMs !== undefined) total.arm(options.totalTimeoutMs);
    } else {
      deadline.arm(options.totalTimeoutMs ?? timeoutMs);
    }
    let answer: Awaited<ReturnType<typeof pool.request>>;
    try {
      answer = await pool.request({
        origin: base.origin,
        path: `${pathPrefix}${request.path}`,
        method: request.method,
        headers,
        body: payload ?? null,
        signal,
      });
    } catch (error) {
      deadline.stop();
      total.stop();
      throw failure(error, callerSignal, expiredDeadline(), 'connect');
    }
    const upstreamBody = answer.body;
    let firstChunk = true;

    /**
     * A plain iterator chaining on undici's own promise rather than an async generator: it sits under every
     * streamed chunk, where each async layer costs measurably.
     */
    function body(): AsyncIterableIterator<Uint8Array> {
      const iterator = upstreamBody[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };
      let open = true;
      const close = (complete: boolean) => {
        if (!open) return;
        open = false;
        deadline.stop();
        total.stop();
        // Leaving early (consumer stopped, error) must tear down the upstream
        // request so the model stops generating for nobody.
        if (!complete && !upstreamBody.destroyed) upstreamBody.destroy();
      };
      const received = (step: IteratorResult<Buffer>) => {
        if (streaming) deadline.disarm();
        firstChunk = false;
        if (step.done) close(true);
        return step;
      };
      const broken = (error: unknown): never => {
        const mapped = failure(error, callerSignal, expiredDeadline(), 'body');
        close(false);
        throw mapped;
      };
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next() {
          if (!open) return Promise.resolve(finished);
          if (callerSignal?.aborted) {
            close(false);
            return Promise.reject(abortError(callerSignal));
          }
          // The first-token timer has run since the request was sent; later chunks each get the idle timer.
          if (streaming && !firstChunk) deadline.arm(idleTimeoutMs);
          return iterator.next().then(received, broken);
        },
        async return() {
          close(false);
          return finished;
        },
      };
    }

    /** The whole body in one read: no async generator and no per-piece decoding on the non-streaming path. */
    async function text(): Promise<string> {
      if (callerSignal?.aborted) {
        deadline.stop();
        total.stop();
        if (!upstreamBody.destroyed) upstreamBody.destroy();
        throw abortError(callerSignal);
      }
      if (streaming && !firstChunk) deadline.arm(idleTimeoutMs);
      firstChunk = false;
      try {
        return await upstreamBody.text();
      } catch (error) {
        if (!upstreamBody.destroyed) upstreamBody.destroy();
        throw failure(error, callerSignal, expiredDeadline(), 'body');
      } finally {
        deadline.stop();
        total.stop();
      }
    }

    async function json(): Promise<unknown> {
      const raw = await text();
      try {
        return JSON.parse(raw);
      } catch (error) {
        throw upstreamProtocolError(errorContext, 'answered with invalid JSON', error);
      }
    }

    async function discard(): Promise<void> {
      deadline.stop();
      total.stop();
      try {
        await upstreamBody.dump({ limit: maxErrorBodyBytes });
      } catch {
        // Nothing useful is lost: the answer was already complete.
      }
    }

    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      let errorBody: unknown;
      try {
        errorBody = await readLimited(body(), maxErrorBodyBytes);
      } catch {
        if (callerSignal?.aborted) throw abortError(callerSignal);
        errorBody = undefined;
      }
      throw upstreamStatusError(errorContext, answer.statusCode, answer.headers, errorBody);
    }
    // A non-stream deadline covers the whole exchange, so its timer keeps running into the body; a stream's
    // first-token timer keeps running until the first chunk arrives.
    return { status: answer.statusCode, headers: answer.headers, body, text, json, discard };
  }

  return {
    errorContext,
    timeoutMs,
    send,
    async close() {
      await pool.close();
    },
  };
}

async function readLimited(source: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const pieces: Uint8Array[] = [];
  let size = 0;
  for await (const piece of source) {
    pieces.push(piece);
    size += piece.length;
    if (size >= limit) break;
  }
  return Buffer.concat(pieces).toString('utf8');
}

/** undici's raw header list (name, value, name, value… as Buffers) as lower-case names; repeats become arrays. */
function parseRawHeaders(raw: Buffer[] | null | undefined): HeaderValues {
  const headers: HeaderValues = {};
  if (!raw) return headers;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = (raw[index] as Buffer).toString('latin1').toLowerCase();
    const value = (raw[index + 1] as Buffer).toString('latin1');
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return headers;
}
