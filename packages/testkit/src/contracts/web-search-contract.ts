import { SwitchyardError } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstreamServer } from '../fakes/fake-http-server';

/** The shape every web-search adapter has (apps/server/src/web-search), seen from the outside. */
export interface WebSearchProviderUnderTest {
  readonly type: string;
  search(query: {
    query: string;
    count: number;
    language?: string;
    signal: AbortSignal;
  }): Promise<ReadonlyArray<{ title: string; url: string; snippet: string; published_at?: string }>>;
}

export interface WebSearchContractSetup {
  /** The fake speaking the provider's wire format. */
  readonly server: FakeUpstreamServer;
  /** The adapter pointed at the fake, with a search time limit of at most a second. */
  readonly provider: WebSearchProviderUnderTest;
  /** The same adapter with a key the fake refuses (null for providers without keys). */
  readonly wrongKey: WebSearchProviderUnderTest | null;
  /** The key configured: it must never appear in an error. */
  readonly apiKey: string | null;
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the search to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SwitchyardError);
  return error as SwitchyardError;
}

/** What the web app's search skill and recurring searches rely on, whatever the provider. */
export function describeWebSearchContract(name: string, setup: () => Promise<WebSearchContractSetup>): void {
  describe(`web search contract: ${name}`, () => {
    let context: WebSearchContractSetup;
    const search = (query: string, count = 10, provider = context.provider) =>
      provider.search({ query, count, signal: new AbortController().signal });

    beforeAll(async () => {
      context = await setup();
    });
    afterAll(async () => {
      await context?.server.close();
    });

    it('finds pages with title, url and snippet, dated where the engine dates them', async () => {
      context.server.setBehaviour({ kind: 'ok' });
      const results = await search('tides');
      expect(results.map((hit) => hit.url)).toEqual([
        'https://tides.example.org/brest',
        'https://ocean.example.com/spring-tides',
        'https://ocean.example.com/neap',
      ]);
      expect(results[0]).toEqual({
        title: 'Tide tables for Brest',
        url: 'https://tides.example.org/brest',
        snippet: 'High and low tide times for Brest, France, this week.',
        published_at: '2025-03-01T08:00:00.000Z',
      });
      expect(results[1]).not.toHaveProperty('published_at');
      expect(context.server.requests.at(-1)?.path).toBeTruthy();
    });

    it('returns at most `count` results, and none for a query nothing matches', async () => {
      expect(await search('tides', 2)).toHaveLength(2);
      expect(await search('zebra crossing quantum')).toEqual([]);
    });

    it('says when the provider rate-limits, with its Retry-After', async () => {
      context.server.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
      const error = await failure(search('tides'));
      expect(error.code).toBe('SY_ERR_UPSTREAM_RATE_LIMITED');
      expect(error.retryAfterSeconds).toBe(7);
      expect(error.message).toContain('rate limiting');
      context.server.setBehaviour({ kind: 'ok' });
    });

    it('reports a failing, silent or garbled provider as unavailable (503), never hanging', async () => {
      context.server.setBehaviour({ kind: 'error', status: 500 });
      expect((await failure(search('tides'))).code).toBe('SY_ERR_APP_UNAVAILABLE');
      context.server.setBehaviour({ kind: 'error', status: 200, body: 'garbage' });
      expect((await failure(search('tides'))).code).toBe('SY_ERR_APP_UNAVAILABLE');
      context.server.setBehaviour({ kind: 'hang' });
      const silent = await failure(search('tides'));
      expect(silent.code).toBe('SY_ERR_APP_UNAVAILABLE');
      expect(silent.message).toContain('no answer within');
      context.server.setBehaviour({ kind: 'ok' });
    });

    it('stops when the caller aborts', async () => {
      context.server.setBehaviour({ kind: 'hang' });
      const controller = new AbortController();
      const pending = context.provider.search({ query: 'tides', count: 3, signal: controller.signal });
      controller.abort(new Error('caller left'));
      await expect(pending).rejects.toThrow('caller left');
      context.server.setBehaviour({ kind: 'ok' });
    });

    it('reports a refused key as unavailable without ever showing the key', async () => {
      if (context.wrongKey) {
        const refused = await failure(search('tides', 3, context.wrongKey));
        expect(refused.code).toBe('SY_ERR_APP_UNAVAILABLE');
        expect(refused.message).toContain('credentials');
      }
      context.server.setBehaviour({ kind: 'error', status: 500 });
      const failed = await failure(search('tides'));
      if (context.apiKey) expect(failed.message).not.toContain(context.apiKey);
      context.server.setBehaviour({ kind: 'ok' });
    });
  });
}
