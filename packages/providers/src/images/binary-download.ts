import { SwitchyardError, upstreamSecretValues } from '@switchyard/core';
import { type Dispatcher, Pool, ProxyAgent } from 'undici';
import {
  abortError,
  type UpstreamErrorContext,
  upstreamNetworkError,
  upstreamStatusError,
  upstreamTimeoutError,
} from '../errors';
import { defaultTimeoutMs, type UpstreamHttpOptions } from '../http';

/** Far above any SDXL PNG (a 2048² image is ~8 MB); bounds memory if an upstream misbehaves. */
const defaultMaxBytes = 64 * 1024 * 1024;
const maxErrorBodyBytes = 16 * 1024;

export interface DownloadedFile {
  bytes: Buffer;
  /** The upstream's `content-type` header, if any. */
  contentType: string | undefined;
}

export interface BinaryDownloader {
  /** GETs a URL on the provider's own origin; any other origin is refused before a connection is made. */
  download(url: URL, signal?: AbortSignal): Promise<DownloadedFile>;
  close(): Promise<void>;
}

/**
 * The shared HTTP client decodes answers as UTF-8 text (only streams come
 * out as bytes, and with stream timeouts), which corrupts image bytes, so
 * downloads get their own small keep-alive pool with the same
 * headers, proxy, timeout and error mapping. It is pinned to the base URL's
 * origin and never follows redirects: an image URL chosen by the upstream
 * must not be able to point us (and our credentials) anywhere else.
 */
export function createBinaryDownloader(options: UpstreamHttpOptions & { maxBytes?: number }): BinaryDownloader {
  const base = new URL(options.baseURL);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  const context: UpstreamErrorContext = {
    providerId: options.providerId,
    secrets: options.secrets ?? upstreamSecretValues(options),
  };
  const connectTimeout = Math.min(timeoutMs, 10_000);
  const pool: Dispatcher = options.proxy
    ? new ProxyAgent({
        uri: options.proxy,
        keepAliveTimeout: 30_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: connectTimeout },
        proxyTls: { timeout: connectTimeout },
      })
    : new Pool(base.origin, {
        keepAliveTimeout: 30_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: connectTimeout },
      });
  const headers: Record<string, string> = { accept: 'image/*, */*;q=0.5', 'user-agent': 'switchyard' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`;
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;

  async function download(url: URL, callerSignal?: AbortSignal): Promise<DownloadedFile> {
    if (url.origin !== base.origin) {
      throw new SwitchyardError(
        'SY_ERR_UPSTREAM',
        `Upstream ${context.providerId} pointed to a file on another origin`,
        {
          status: 502,
          isRetryable: false,
          details: { provider: context.providerId },
        },
      );
    }
    if (callerSignal?.aborted) throw abortError(callerSignal);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = callerSignal === undefined ? deadline.signal : AbortSignal.any([callerSignal, deadline.signal]);
    const failure = (error: unknown, phase: 'connect' | 'body') => {
      if (callerSignal?.aborted) return abortError(callerSignal);
      if (deadline.signal.aborted) return upstreamTimeoutError(context, timeoutMs, error);
      return upstreamNetworkError(context, error, phase, timeoutMs);
    };
    try {
      let answer: Dispatcher.ResponseData;
      try {
        answer = await pool.request({
          origin: base.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers,
          signal,
        });
      } catch (error) {
        throw failure(error, 'connect');
      }
      if (answer.statusCode < 200 || answer.statusCode >= 300) {
        let errorBody: string | undefined;
        try {
          errorBody = (await readAtMost(answer.body, maxErrorBodyBytes)).toString('utf8');
        } catch {
          if (callerSignal?.aborted) throw abortError(callerSignal);
        }
        throw upstreamStatusError(context, answer.statusCode, answer.headers, errorBody);
      }
      const declaredLength = Number(answer.headers['content-length']);
      if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
        answer.body.destroy();
        throw tooLarge(context, maxBytes);
      }
      let bytes: Buffer;
      try {
        bytes = await readAtMost(answer.body, maxBytes + 1);
      } catch (error) {
        throw failure(error, 'body');
      }
      if (bytes.length > maxBytes) {
        answer.body.destroy();
        throw tooLarge(context, maxBytes);
      }
      const contentType = answer.headers['content-type'];
      return { bytes, contentType: Array.isArray(contentType) ? contentType[0] : contentType };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    download,
    async close() {
      await pool.close();
    },
  };
}

function tooLarge(context: UpstreamErrorContext, maxBytes: number): SwitchyardError {
  return new SwitchyardError(
    'SY_ERR_UPSTREAM',
    `Upstream ${context.providerId} sent a file larger than ${maxBytes} bytes`,
    {
      status: 502,
      isRetryable: false,
      details: { provider: context.providerId, maxBytes },
    },
  );
}

/** Collects up to `limit` bytes; stops reading (and drops the connection) past it. */
async function readAtMost(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    const chunk = part as Buffer;
    parts.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  return Buffer.concat(parts, size);
}
