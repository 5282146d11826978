import type { FakeUpstreamServer } from '@switchyard/testkit';
import { eventually, startFakeSearxng } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, createBrowser } from '../testing/browser';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { normaliseUrl } from './normalise-url';
import { uniqueResults } from './search-run-job';

let server: TestServer;
let searxng: FakeUpstreamServer;
let alice: Browser;
let bob: Browser;
const found: Json[] = [];

async function signIn(email: string): Promise<Browser> {
  const password = `a long password for ${email}`;
  await server.parts.accounts.createUser({ email, name: email, password, role: 'user' });
  const browser = createBrowser(server.url);
  expect((await browser.post('/api/auth/sign-in/email', { email, password })).status).toBe(200);
  return browser;
}

beforeAll(async () => {
  searxng = await startFakeSearxng();
  server = await startTestServer({
    role: 'all',
    config: { ollama: { autodetect: false }, webSearch: { type: 'searxng', baseURL: searxng.url, timeoutMs: 5_000 } },
  });
  await server.parts.events.subscribe('searches-test', 'SavedSearchResultsFound', async (event) => {
    found.push(event.payload as unknown as Json);
  });
  alice = await signIn('alice@example.test');
  bob = await signIn('bob@example.test');
});

afterAll(async () => {
  await server?.destroy();
  await searxng?.close();
});

describe('saved searches API', () => {
  it('needs a session', async () => {
    const anonymous = createBrowser(server.url);
    expect((await anonymous.get('/api/searches')).status).toBe(401);
  });

  it("keeps each user to their own searches: another user's is a 404 on every route", async () => {
    const created = await alice.post('/api/searches', { query: 'tides', name: 'Tides', interval_ms: 3_600_000 });
    expect(created.status).toBe(201);
    const search = await readJson(created);
    expect(search).toMatchObject({ name: 'Tides', provider: 'searxng', interval_ms: 3_600_000, paused: false });
    const id = search.id as string;
    expect(((await readJson(await bob.get('/api/searches'))).searches as Json[]).length).toBe(0);
    for (const [method, path, body] of [
      ['GET', `/api/searches/${id}`],
      ['PATCH', `/api/searches/${id}`, { name: 'mine now' }],
      ['GET', `/api/searches/${id}/runs`],
      ['POST', `/api/searches/${id}/run`, {}],
      ['DELETE', `/api/searches/${id}`],
    ] as const) {
      const response = await bob.request(method, path, body === undefined ? {} : { body });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await readJson(response)).error.code).toBe('SY_ERR_NOT_FOUND');
    }
    expect((await readJson(await alice.get(`/api/searches/${id}`))).name).toBe('Tides');
    expect((await alice.request('DELETE', `/api/searches/${id}`)).status).toBe(204);
    expect((await alice.get(`/api/searches/${id}`)).status).toBe(404);
  });

  it('refuses a provider that is not configured, too short an interval, and a bad cron', async () => {
    const code = async (body: Record<string, unknown>) => {
      const response = await alice.post('/api/searches', { query: 'tides', ...body });
      return [response.status, (await readJson(response)).error?.code];
    };
    expect(await code({ provider: 'brave' })).toEqual([400, 'SY_ERR_VALIDATION']);
    expect(await code({ interval_ms: 60_000 })).toEqual([400, 'SY_ERR_VALIDATION']);
    expect(await code({ interval_ms: 900_000, cron: '0 * * * *' })).toEqual([400, 'SY_ERR_VALIDATION']);
    expect(await code({ cron: '0 25 * * *' })).toEqual([400, 'SY_ERR_VALIDATION']);
    expect(await code({ sites: ['not a host'] })).toEqual([400, 'SY_ERR_VALIDATION']);
  });

  it('stores each run, keeps only what is new since the previous runs, and announces new results once', async () => {
    const search = await readJson(
      await alice.post('/api/searches', {
        query: 'tide',
        cron: '0 7 * * 1',
        timezone: 'Europe/Paris',
        channels: ['in_app', 'email'],
      }),
    );
    const id = search.id as string;
    expect(search).toMatchObject({ cron: '0 7 * * 1', timezone: 'Europe/Paris', channels: ['in_app', 'email'] });
    expect((await alice.post(`/api/searches/${id}/run`)).status).toBe(202);
    const first = await eventually(async () => {
      const runs = (await readJson(await alice.get(`/api/searches/${id}/runs`))).runs as Json[];
      expect(runs).toHaveLength(1);
      return runs[0] as Json;
    });
    expect(first).toMatchObject({ status: 'succeeded', total_results: 3, new_results: 3 });
    expect((first.results as Json[]).map((result) => result.url).sort()).toEqual([
      'https://ocean.example.com/neap',
      'https://ocean.example.com/spring-tides',
      'https://tides.example.org/brest',
    ]);
    await eventually(() => expect(found.filter((event) => event.searchId === id)).toHaveLength(1));
    expect(found.find((event) => event.searchId === id)).toMatchObject({
      newResults: 3,
      channels: ['in_app', 'email'],
      name: 'tide',
    });

    // Run-now ids are per millisecond: the second must not share the first's.
    await eventually(() => expect(Date.now()).toBeGreaterThan(Date.parse(first.ran_at as string)));
    expect((await alice.post(`/api/searches/${id}/run`)).status).toBe(202);
    const runs = await eventually(async () => {
      const listed = (await readJson(await alice.get(`/api/searches/${id}/runs`))).runs as Json[];
      expect(listed).toHaveLength(2);
      return listed;
    });
    expect(runs[0]).toMatchObject({ status: 'succeeded', total_results: 3, new_results: 0, results: [] });
    // Nothing new, nothing announced (a second event would be the only thing to wait for).
    const listed = await readJson(await alice.get(`/api/searches/${id}`));
    expect(listed.last_run).toMatchObject({ manual: true, outcome: 'enqueued' });
    expect(found.filter((event) => event.searchId === id)).toHaveLength(1);
  });

  it('pauses and resumes through PATCH', async () => {
    const search = await readJson(await alice.post('/api/searches', { query: 'neap' }));
    const paused = await readJson(
      await alice.request('PATCH', `/api/searches/${search.id}`, { body: { paused: true } }),
    );
    expect(paused).toMatchObject({ paused: true, next_run_at: null });
    const resumed = await readJson(
      await alice.request('PATCH', `/api/searches/${search.id}`, { body: { paused: false, interval_ms: 900_000 } }),
    );
    expect(resumed).toMatchObject({ paused: false, interval_ms: 900_000 });
    expect(typeof resumed.next_run_at).toBe('string');
  });
});

describe('result dedupe', () => {
  it('treats scheme, www., tracking parameters, fragments, parameter order and a trailing slash as the same page', () => {
    const same = [
      'https://www.Example.com/news/?b=2&a=1&utm_source=x#top',
      'http://example.com/news?a=1&b=2',
      'https://example.com:443/news?a=1&b=2&fbclid=abc',
    ].map(normaliseUrl);
    expect(new Set(same).size).toBe(1);
    expect(normaliseUrl('https://example.com/news?a=2')).not.toBe(same[0]);
    expect(normaliseUrl('ftp://example.com/file')).toBeNull();
    expect(normaliseUrl('not a url')).toBeNull();
  });

  it('keeps each page of one answer once', () => {
    const results = uniqueResults([
      { title: 'A', url: 'https://example.com/a', snippet: '' },
      { title: 'A again', url: 'https://www.example.com/a/?utm_medium=feed', snippet: '' },
      { title: 'B', url: 'https://example.com/b', snippet: '' },
    ]);
    expect(results.map((result) => result.title)).toEqual(['A', 'B']);
  });
});
