import { describeWebSearchContract, startFakeBrave, startFakeSearxng, startFakeTavily } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createBraveProvider } from './brave-provider';
import { createSearxngProvider } from './searxng-provider';
import { createTavilyProvider } from './tavily-provider';

const timeoutMs = 1000;
const braveKey = 'BSA-fake-subscription-token-123';
const tavilyKey = 'tvly-fake-key-0123456789';

describeWebSearchContract('SearXNG', async () => {
  const server = await startFakeSearxng();
  return { server, provider: createSearxngProvider({ baseURL: server.url, timeoutMs }), wrongKey: null, apiKey: null };
});

describeWebSearchContract('Brave', async () => {
  const server = await startFakeBrave({ apiKey: braveKey });
  return {
    server,
    provider: createBraveProvider({ baseURL: server.url, apiKey: braveKey, timeoutMs }),
    wrongKey: createBraveProvider({ baseURL: server.url, apiKey: 'BSA-wrong-token', timeoutMs }),
    apiKey: braveKey,
  };
});

describeWebSearchContract('Tavily', async () => {
  const server = await startFakeTavily({ apiKey: tavilyKey });
  return {
    server,
    provider: createTavilyProvider({ baseURL: server.url, apiKey: tavilyKey, timeoutMs }),
    wrongKey: createTavilyProvider({ baseURL: server.url, apiKey: 'tvly-wrong', timeoutMs }),
    apiKey: tavilyKey,
  };
});

describe('web search adapters send what each API documents', () => {
  it('SearXNG: GET /search with q, format=json and the language', async () => {
    const server = await startFakeSearxng();
    try {
      await createSearxngProvider({ baseURL: `${server.url}/` }).search({
        query: 'neap tide',
        count: 5,
        language: 'fr',
        signal: new AbortController().signal,
      });
      const sent = new URL(server.requests[0]?.path ?? '', 'http://x');
      expect(sent.pathname).toBe('/search');
      expect(Object.fromEntries(sent.searchParams)).toEqual({ q: 'neap tide', format: 'json', language: 'fr' });
    } finally {
      await server.close();
    }
  });

  it('Brave: the key in X-Subscription-Token, count capped at 20, search_lang', async () => {
    const server = await startFakeBrave({ apiKey: braveKey });
    try {
      await createBraveProvider({ baseURL: server.url, apiKey: braveKey }).search({
        query: 'tides',
        count: 50,
        language: 'en',
        signal: new AbortController().signal,
      });
      const request = server.requests[0];
      expect(request?.headers['x-subscription-token']).toBe(braveKey);
      const sent = new URL(request?.path ?? '', 'http://x');
      expect(Object.fromEntries(sent.searchParams)).toEqual({ q: 'tides', count: '20', search_lang: 'en' });
    } finally {
      await server.close();
    }
  });

  it('Tavily: POST /search with a bearer key and {query, max_results}', async () => {
    const server = await startFakeTavily({ apiKey: tavilyKey });
    try {
      await createTavilyProvider({ baseURL: server.url, apiKey: tavilyKey }).search({
        query: 'tides',
        count: 3,
        signal: new AbortController().signal,
      });
      const request = server.requests[0];
      expect(request?.method).toBe('POST');
      expect(request?.headers.authorization).toBe(`Bearer ${tavilyKey}`);
      expect(request?.body).toMatchObject({ query: 'tides', max_results: 3 });
    } finally {
      await server.close();
    }
  });

  it('saved-search filters: SearXNG time_range and site: operators', async () => {
    const server = await startFakeSearxng();
    try {
      await createSearxngProvider({ baseURL: server.url }).search({
        query: 'tides',
        count: 5,
        timeRange: 'week',
        sites: ['ocean.example.com', 'tides.example.org'],
        signal: new AbortController().signal,
      });
      const sent = new URL(server.requests[0]?.path ?? '', 'http://x');
      // The API documents day, month and year: a week asks for the month.
      expect(Object.fromEntries(sent.searchParams)).toEqual({
        q: 'tides (site:ocean.example.com OR site:tides.example.org)',
        format: 'json',
        time_range: 'month',
      });
    } finally {
      await server.close();
    }
  });

  it('saved-search filters: Brave freshness and a site: operator', async () => {
    const server = await startFakeBrave({ apiKey: braveKey });
    try {
      await createBraveProvider({ baseURL: server.url, apiKey: braveKey }).search({
        query: 'tides',
        count: 5,
        timeRange: 'day',
        sites: ['ocean.example.com'],
        signal: new AbortController().signal,
      });
      const sent = new URL(server.requests[0]?.path ?? '', 'http://x');
      expect(Object.fromEntries(sent.searchParams)).toEqual({
        q: 'tides site:ocean.example.com',
        count: '5',
        freshness: 'pd',
      });
    } finally {
      await server.close();
    }
  });

  it('saved-search filters: Tavily time_range and include_domains', async () => {
    const server = await startFakeTavily({ apiKey: tavilyKey });
    try {
      await createTavilyProvider({ baseURL: server.url, apiKey: tavilyKey }).search({
        query: 'tides',
        count: 3,
        timeRange: 'year',
        sites: ['ocean.example.com'],
        signal: new AbortController().signal,
      });
      expect(server.requests[0]?.body).toMatchObject({
        query: 'tides',
        time_range: 'year',
        include_domains: ['ocean.example.com'],
      });
    } finally {
      await server.close();
    }
  });
});
