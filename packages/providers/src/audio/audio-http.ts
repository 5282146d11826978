import { upstreamSecretValues } from '@switchyard/core';
import { type Dispatcher, Pool, ProxyAgent } from 'undici';
import {
  abortError,
  type UpstreamErrorContext,
  upstreamNetworkError,
  upstreamStatusError,
  upstreamTimeoutError,
} from '../errors';
import { defaultTimeoutMs } from '../http';
import type { AudioProviderConfig } from './spec';

/** A speech file or transcript far beyond anything real; bounds memory if an upstream misbehaves. */
const maxAnswerBytes = 64 * 1024 * 1024;
const maxErrorBodyBytes = 16 * 1024;

export interface AudioAnswer {
  status: number;
  contentType: string;
  bytes: Buffer;
}

export interface AudioHttpClient {
  readonly errorContext: UpstreamErrorContext;
  /** POSTs a form (multipart/form-data) or a JSON body; non-2xx answers are thrown as mapped SwitchyardErrors. */
  post(path: string, body: FormData | object, signal?: AbortSignal): Promise<AudioAnswer>;
  close(): Promise<void>;
}

/** Parsed JSON when the text is JSON, the text otherwise: what the error mapping reads messages from. */
export function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The shared chat HTTP client sends JSON and decodes answers as UTF-8, which suits neither uploads nor
 * speech, so audio adapters use this small binary-safe client with the same key, headers, timeout,
 * proxy and error mapping. Forms are encoded by the platform's own FormData serializer.
 */
export function createAudioHttpClient(config: AudioProviderConfig): AudioHttpClient {
  const base = new URL(config.baseURL);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const timeoutMs = config.timeoutMs ?? defaultTimeoutMs;
  const errorContext: UpstreamErrorContext = {
    providerId: config.id,
    secrets: upstreamSecretValues(config),
  };
  const connectTimeout = Math.min(timeoutMs, 10_000);
  const pool: Dispatcher = config.proxy
    ? new ProxyAgent({
        uri: config.proxy,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: { timeout: connectTimeout },
        proxyTls: { timeout: connectTimeout },
      })
    : new Pool(base.origin, { headersTimeout: 0, bodyTimeout: 0, connect: { timeout: connectTimeout } });
  const baseHeaders: Record<string, string> = { 'user-agent': 'switchyard' };
  if (config.apiKey) baseHeaders.authorization = `Bearer ${config.apiKey}`;
  for (const [name, value] of Object.entries(config.headers ?? {})) baseHeaders[name.toLowerCase()] = value;

  async function encode(body: FormData | object): Promise<{ bytes: Buffer; contentType: string }> {
    if (body instanceof FormData) {
      const encoded = new Response(body);
      return {
        bytes: Buffer.from(await encoded.arrayBuffer()),
        contentType: encoded.headers.get('content-type') ?? 'multipart/form-data',
      };
    }
    return { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
  }

  async function post(path: string, body: FormData | object, callerSignal?: AbortSignal): Promise<AudioAnswer> {
    if (callerSignal?.aborted) throw abortError(callerSignal);
    const { bytes, contentType } = await encode(body);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
    const failure = (error: unknown, phase: 'connect' | 'body') => {
      if (callerSignal?.aborted) return abortError(callerSignal);
      if (deadline.signal.aborted) return upstreamTimeoutError(errorContext, timeoutMs, error);
      return upstreamNetworkError(errorContext, error, phase, timeoutMs);
    };
    try {
      let answer: Dispatcher.ResponseData;
      try {
        answer = await pool.request({
          origin: base.origin,
          path: `${pathPrefix}${path}`,
          method: 'POST',
          headers: { ...baseHeaders, 'content-type': contentType, 'content-length': String(bytes.length) },
          body: bytes,
          signal,
        });
      } catch (error) {
        throw failure(error, 'connect');
      }
      const ok = answer.statusCode >= 200 && answer.statusCode < 300;
      let received: Buffer;
      try {
        received = await readAtMost(answer.body, ok ? maxAnswerBytes : maxErrorBodyBytes);
      } catch (error) {
        throw failure(error, 'body');
      }
      if (!ok) {
        throw upstreamStatusError(errorContext, answer.statusCode, answer.headers, parsedOrText(received.toString()));
      }
      const type = answer.headers['content-type'];
      return {
        status: answer.statusCode,
        contentType: (Array.isArray(type) ? type[0] : type) ?? 'application/octet-stream',
        bytes: received,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    errorContext,
    post,
    async close() {
      await pool.close();
    },
  };
}

/** Collects up to `limit` bytes, then drops the connection. */
async function readAtMost(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    const chunk = part as Buffer;
    parts.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts, size);
}
