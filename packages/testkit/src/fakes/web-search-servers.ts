import { type FakeExchange, type FakeUpstreamServer, startFakeHttpServer } from './fake-http-server';

/** A page the fake search engines know about. */
export interface FakeWebPage {
  title: string;
  url: string;
  text: string;
  /** ISO date the engine reports, if any. */
  published?: string;
}

/** What every fake finds: pages whose title or text holds every word of the query. */
export const fakeWebPages: readonly FakeWebPage[] = [
  {
    title: 'Tide tables for Brest',
    url: 'https://tides.example.org/brest',
    text: 'High and low tide times for Brest, France, this week.',
    published: '2025-03-01T08:00:00Z',
  },
  {
    title: 'Understanding spring tides',
    url: 'https://ocean.example.com/spring-tides',
    text: 'Spring tides happen at new and full moon, when the sun and moon align.',
  },
  {
    title: 'Neap tide explained',
    url: 'https://ocean.example.com/neap',
    text: 'Neap tides are the weakest tides, at the quarter moons.',
    published: '2024-11-12T00:00:00Z',
  },
  {
    title: 'Switchyard: a self-hosted AI platform',
    url: 'https://switchyard.example.dev/',
    text: 'An AI gateway, chat app and apps platform in one TypeScript codebase.',
  },
];

export function findFakePages(query: string): FakeWebPage[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return fakeWebPages.filter((page) => {
    const haystack = `${page.title} ${page.text}`.toLowerCase();
    return words.length > 0 && words.every((word) => haystack.includes(word.replace(/s$/, '')));
  });
}

function json(exchange: FakeExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  exchange.response.writeHead(status, { 'content-type': 'application/json', ...headers });
  exchange.response.end(JSON.stringify(body));
}

function queryOf(exchange: FakeExchange): URLSearchParams {
  return new URL(exchange.record.path, 'http://fake').searchParams;
}

/**
 * A SearXNG instance: `GET /search?q=…&format=json` answers `{query, number_of_results, results:
 * [{url, title, content, engine, publishedDate?}], answers, suggestions, …}`; a format other than
 * json is refused with 403 (as an instance that has not enabled it does).
 */
export function startFakeSearxng(): Promise<FakeUpstreamServer> {
  return startFakeHttpServer(
    (exchange) => {
      const params = queryOf(exchange);
      const path = new URL(exchange.record.path, 'http://fake').pathname;
      if (path !== '/search' || exchange.record.method !== 'GET') return json(exchange, 404, { error: 'not found' });
      if (params.get('format') !== 'json') {
        exchange.response.writeHead(403, { 'content-type': 'text/html' });
        exchange.response.end('<h1>403 Forbidden</h1>');
        return;
      }
      const query = params.get('q') ?? '';
      const pages = findFakePages(query);
      json(exchange, 200, {
        query,
        number_of_results: 0,
        results: pages.map((page, index) => ({
          url: page.url,
          title: page.title,
          content: page.text,
          engine: 'duckduckgo',
          engines: ['duckduckgo'],
          positions: [index + 1],
          score: 1 / (index + 1),
          category: 'general',
          ...(page.published ? { publishedDate: page.published.replace('Z', '') } : { publishedDate: null }),
        })),
        answers: [],
        corrections: [],
        infoboxes: [],
        suggestions: [],
        unresponsive_engines: [],
      });
    },
    (exchange, behaviour) => {
      exchange.response.writeHead(behaviour.status, { 'content-type': 'text/html', ...behaviour.headers });
      exchange.response.end(`<h1>${behaviour.status}</h1>`);
    },
  );
}

/**
 * Brave Search API: `GET /res/v1/web/search?q=…&count=…` with `X-Subscription-Token`; answers
 * `{type: 'search', query: {original}, web: {type: 'search', results: [{title, url, description,
 * page_age?, age?}]}}` (no `web` section without results). Errors are `{type: 'ErrorResponse',
 * error: {id, status, code, detail}}`. The fake's base URL ends in `/res/v1`.
 */
export function startFakeBrave(options: { apiKey: string }): Promise<FakeUpstreamServer> {
  const errorBody = (status: number, code: string, detail: string) => ({
    type: 'ErrorResponse',
    error: { id: 'fake-error', status, code, detail, meta: {} },
    time: Math.floor(Date.now() / 1000),
  });
  return startFakeHttpServer(
    (exchange) => {
      const url = new URL(exchange.record.path, 'http://fake');
      if (url.pathname !== '/res/v1/web/search') return json(exchange, 404, errorBody(404, 'NOT_FOUND', 'Not found'));
      if (exchange.record.headers['x-subscription-token'] !== options.apiKey) {
        return json(
          exchange,
          422,
          errorBody(422, 'SUBSCRIPTION_TOKEN_INVALID', 'The provided subscription token is invalid.'),
        );
      }
      const query = url.searchParams.get('q') ?? '';
      const count = Number(url.searchParams.get('count') ?? 20);
      if (!Number.isInteger(count) || count < 1 || count > 20) {
        return json(exchange, 422, errorBody(422, 'VALIDATION', 'count must be between 1 and 20'));
      }
      const pages = findFakePages(query).slice(0, count);
      json(exchange, 200, {
        type: 'search',
        query: { original: query, more_results_available: false },
        mixed: { type: 'mixed', main: [], top: [], side: [] },
        ...(pages.length > 0
          ? {
              web: {
                type: 'search',
                family_friendly: true,
                results: pages.map((page) => ({
                  type: 'search_result',
                  title: page.title,
                  url: page.url,
                  description: page.text,
                  is_source_local: false,
                  language: 'en',
                  meta_url: { hostname: new URL(page.url).hostname },
                  ...(page.published ? { page_age: page.published.replace('Z', ''), age: 'March 1, 2025' } : {}),
                })),
              },
            }
          : {}),
      });
    },
    (exchange, behaviour) =>
      json(
        exchange,
        behaviour.status,
        behaviour.body ??
          errorBody(behaviour.status, behaviour.status === 429 ? 'RATE_LIMITED' : 'ERROR', 'Request failed'),
        behaviour.headers,
      ),
    '/res/v1',
  );
}

/**
 * Tavily: `POST /search` with `Authorization: Bearer tvly-…` and `{query, max_results, …}`; answers
 * `{query, answer, images, results: [{title, url, content, score, raw_content, published_date?}],
 * response_time}`. Errors are `{detail: {error}}`.
 */
export function startFakeTavily(options: { apiKey: string }): Promise<FakeUpstreamServer> {
  return startFakeHttpServer(
    (exchange) => {
      const path = new URL(exchange.record.path, 'http://fake').pathname;
      if (path !== '/search' || exchange.record.method !== 'POST') {
        return json(exchange, 404, { detail: { error: 'Not Found' } });
      }
      if (exchange.record.headers.authorization !== `Bearer ${options.apiKey}`) {
        return json(exchange, 401, { detail: { error: 'Unauthorized: missing or invalid API key.' } });
      }
      const body = exchange.record.body as { query?: unknown; max_results?: unknown } | undefined;
      if (typeof body?.query !== 'string') return json(exchange, 400, { detail: { error: 'query is required' } });
      const max = typeof body.max_results === 'number' ? body.max_results : 5;
      const pages = findFakePages(body.query).slice(0, max);
      json(exchange, 200, {
        query: body.query,
        follow_up_questions: null,
        answer: null,
        images: [],
        results: pages.map((page, index) => ({
          title: page.title,
          url: page.url,
          content: page.text,
          score: 0.9 - index * 0.1,
          raw_content: null,
          ...(page.published ? { published_date: new Date(page.published).toUTCString() } : {}),
        })),
        response_time: 0.42,
      });
    },
    (exchange, behaviour) =>
      json(exchange, behaviour.status, behaviour.body ?? { detail: { error: 'Request failed' } }, behaviour.headers),
  );
}
