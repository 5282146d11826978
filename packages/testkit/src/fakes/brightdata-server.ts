import { type FakeExchange, type FakeUpstreamServer, startFakeHttpServer } from './fake-http-server';

/** A page the fake Bright Data can reach, as the target site answers it. */
export interface FakeBrightDataPage {
  /** The target's status, passed through; default 200. */
  status?: number;
  /** Default `text/html; charset=utf-8`. */
  contentType?: string;
  body: string;
}

export interface FakeBrightDataOptions {
  apiToken: string;
  /** Web Unlocker zones of the account; default `['web_unlocker1']`. */
  zones?: readonly string[];
  /** Target URL → what the target answers; any other URL cannot be reached. */
  pages?: Readonly<Record<string, FakeBrightDataPage>>;
}

export interface FakeBrightDataServer extends FakeUpstreamServer {
  /** Adds or replaces a page the fake can reach. */
  setPage(url: string, page: FakeBrightDataPage): void;
}

function text(exchange: FakeExchange, status: number, body: string, headers: Record<string, string> = {}): void {
  exchange.response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  exchange.response.end(body);
}

/**
 * Bright Data's Web Unlocker API, direct access: `POST /request` with `Authorization: Bearer <API key>`
 * and a JSON body `{zone, url, format, method?, country?, data_format?}` (zone, url and format
 * required; format `raw` or `json`). With `format: 'raw'` it answers with the target page itself (its
 * status, content type and body). A missing or wrong key is 401; a body without zone, url or format, or
 * with a zone the account does not have, is 400; a target it cannot reach is 502 with `x-brd-error-code`
 * and `x-brd-error` naming why (the headers Bright Data puts on its own errors). The fake speaks only
 * `format: 'raw'` (the form Switchyard uses) and answers `json` with 400 saying so; `setBehaviour`
 * makes it answer 429 (with Retry-After when given), 5xx, or hang.
 */
export async function startFakeBrightData(options: FakeBrightDataOptions): Promise<FakeBrightDataServer> {
  const zones = new Set(options.zones ?? ['web_unlocker1']);
  const pages = new Map(Object.entries(options.pages ?? {}));
  const server = await startFakeHttpServer(
    (exchange) => {
      const path = new URL(exchange.record.path, 'http://fake').pathname;
      if (path !== '/request' || exchange.record.method !== 'POST') return text(exchange, 404, 'Not Found');
      if (exchange.record.headers.authorization !== `Bearer ${options.apiToken}`) {
        return text(exchange, 401, 'Unauthorized');
      }
      const body = exchange.record.body as Record<string, unknown> | undefined;
      if (typeof body !== 'object' || body === null) return text(exchange, 400, 'Request body must be JSON');
      for (const field of ['zone', 'url', 'format']) {
        if (typeof body[field] !== 'string' || body[field] === '') return text(exchange, 400, `${field} is required`);
      }
      if (!zones.has(body.zone as string)) return text(exchange, 400, `zone '${String(body.zone)}' not found`);
      if (body.format !== 'raw' && body.format !== 'json') return text(exchange, 400, 'format must be raw or json');
      if (body.format === 'json') return text(exchange, 400, 'this fake answers format raw only');
      if (body.country !== undefined && !/^[a-z]{2}$/.test(String(body.country))) {
        return text(exchange, 400, 'country must be a two-letter code');
      }
      let target: URL;
      try {
        target = new URL(body.url as string);
      } catch {
        return text(exchange, 400, 'url is not valid');
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        return text(exchange, 400, 'url must start with http:// or https://');
      }
      const page = pages.get(target.toString()) ?? pages.get(body.url as string);
      if (!page) {
        return text(exchange, 502, 'Bad Gateway', {
          'x-brd-error-code': 'target_unreachable',
          'x-brd-error': `Could not reach ${target.host}`,
        });
      }
      exchange.response.writeHead(page.status ?? 200, {
        'content-type': page.contentType ?? 'text/html; charset=utf-8',
      });
      exchange.response.end(page.body);
    },
    (exchange, behaviour) =>
      text(
        exchange,
        behaviour.status,
        typeof behaviour.body === 'string'
          ? behaviour.body
          : behaviour.status === 429
            ? 'Too Many Requests'
            : 'Internal Server Error',
        behaviour.headers,
      ),
  );
  return Object.assign(server, {
    setPage(url: string, page: FakeBrightDataPage) {
      pages.set(url, page);
    },
  });
}
