import { isIP } from 'node:net';
import { SwitchyardError } from '@switchyard/core';
import { sanitizeUpstreamMessage } from '@switchyard/providers';
import { isReadableType, pageText } from '../../apps/page-text';
import { refusalOf } from '../../infrastructure/safe-fetch';
import { retryAfterSeconds } from '../../infrastructure/upstream-json';
import { collectLinks, defaultProfileMaxChars, documentOf, type LinkOutcome } from './collect-links';
import type { ProfileSource } from './profile-source';

export interface BrightDataProfileSourceConfig {
  /** A Bright Data API key, sent as `Authorization: Bearer …`; never put in a reason or a log. */
  readonly apiToken: string;
  /** The Web Unlocker zone the requests are billed to and configured by. */
  readonly zone: string;
  /** Default https://api.brightdata.com. */
  readonly baseURL?: string;
  /** Per link; default 60 s. */
  readonly timeoutMs?: number;
  /** Two-letter country code of the proxy the page is fetched through; default: Bright Data chooses. */
  readonly country?: string;
  /** Characters of text kept per page; default 20,000. */
  readonly maxChars?: number;
  /** Largest page body read; the rest is dropped. Default 2 MiB. */
  readonly maxBytes?: number;
  /** Links requested at the same time; default 3. */
  readonly concurrency?: number;
  readonly fetch?: typeof fetch;
}

const label = 'Bright Data';

/**
 * Why a link is not sent to Bright Data, or null. Bright Data fetches from its own network, so a
 * private address cannot reach ours; it is refused anyway, like every link a user names, because no
 * public profile lives there.
 */
function refusalOfLink(link: string): string | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return `'${link.slice(0, 200)}' is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${link.slice(0, 200)} is not an http(s) URL`;
  if (url.username || url.password) return `${url.host} links with a user name or password are not read`;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === 'localhost' || host.endsWith('.localhost')) return `${url.host} is not a public address`;
  if (isIP(host)) {
    const refusal = refusalOf(host);
    if (refusal) return `${host} ${refusal}; it is not read`;
  }
  return null;
}

/** The body, read up to `maxBytes`; the rest is not downloaded. */
async function readLimited(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - size;
    if (value.byteLength >= room) {
      parts.push(Buffer.from(value.subarray(0, room)));
      await reader.cancel().catch(() => {});
      break;
    }
    parts.push(Buffer.from(value));
    size += value.byteLength;
  }
  return Buffer.concat(parts);
}

/**
 * The gift finder's profile source through Bright Data's Web Unlocker API, the synchronous REST form:
 * `POST {baseURL}/request` with `{ zone, url, format: 'raw' }` and the API key as a Bearer token
 * answers with the target page itself (Bright Data picks proxies, solves blocks and retries). Its own
 * failures carry an `x-brd-error` header. The page's HTML is read like the `web.fetch` skill reads
 * one. A 429 stops the whole collection with SY_ERR_UPSTREAM_RATE_LIMITED (its Retry-After kept), since
 * every other link would meet it too; every other failure is that link's, with a reason that never
 * holds the token.
 */
export function createBrightDataProfileSource(config: BrightDataProfileSourceConfig): ProfileSource {
  const endpoint = new URL('request', `${(config.baseURL ?? 'https://api.brightdata.com').replace(/\/+$/, '')}/`);
  const timeoutMs = config.timeoutMs ?? 60_000;
  const maxChars = config.maxChars ?? defaultProfileMaxChars;
  const maxBytes = config.maxBytes ?? 2 * 1024 * 1024;
  const fetchImpl = config.fetch ?? fetch;
  const clean = (text: string) => sanitizeUpstreamMessage(text, [config.apiToken]).slice(0, 200);

  async function readOne(link: string, signal: AbortSignal): Promise<LinkOutcome> {
    const refusal = refusalOfLink(link);
    if (refusal) return { failure: refusal };
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = AbortSignal.any([signal, deadline]);
    const slow = (): LinkOutcome => ({ failure: `${label} gave no answer for ${link} within ${timeoutMs} ms` });
    let response: Response;
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.apiToken}`,
          'content-type': 'application/json',
          accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5',
        },
        body: JSON.stringify({
          zone: config.zone,
          url: link,
          format: 'raw',
          ...(config.country ? { country: config.country } : {}),
        }),
        signal: combined,
        redirect: 'error',
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      if (deadline.aborted) return slow();
      return { failure: `${label} could not be reached to read ${link}` };
    }
    if (response.status === 429) {
      await response.body?.cancel().catch(() => {});
      const retryAfter = retryAfterSeconds(response.headers);
      throw new SwitchyardError(
        'SY_ERR_UPSTREAM_RATE_LIMITED',
        `${label} is rate limiting Switchyard${retryAfter ? `; retry in ${retryAfter}s` : ''}`,
        { isRetryable: true, ...(retryAfter ? { retryAfterSeconds: retryAfter } : {}) },
      );
    }
    const brightDataError = response.headers.get('x-brd-error');
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      if (response.status === 401 || response.status === 407) {
        return { failure: `${label} refused Switchyard's API token (HTTP ${response.status}) for ${link}` };
      }
      if (brightDataError) {
        return { failure: `${label} could not read ${link}: ${clean(brightDataError)} (HTTP ${response.status})` };
      }
      if (response.status === 400) return { failure: `${label} refused the request for ${link} (HTTP 400)` };
      return { failure: `${link} answered HTTP ${response.status} through ${label}` };
    }
    let body: Buffer;
    try {
      body = await readLimited(response, maxBytes);
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      if (deadline.aborted) return slow();
      return { failure: `${label} broke off while sending ${link}` };
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!isReadableType(contentType)) {
      return { failure: `${link} is not a text page (${contentType.split(';')[0]})` };
    }
    const { title, text } = await pageText(body, contentType);
    return documentOf(link, title, text, maxChars);
  }

  return {
    name: 'brightdata',
    collect: (input) => collectLinks(input, config.concurrency ?? 3, readOne),
  };
}
