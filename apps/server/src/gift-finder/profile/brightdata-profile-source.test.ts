import { SwitchyardError } from '@switchyard/core';
import { errorOf, type FakeBrightDataServer, startFakeBrightData } from '@switchyard/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBrightDataProfileSource } from './brightdata-profile-source';

const apiToken = 'bd-token-5f1c2a9e7d3b4c60';
const profile = 'https://social.example.com/ada';
const blog = 'https://blog.example.org/ada/about';
const missing = 'https://social.example.com/nobody';
const picture = 'https://cdn.example.com/ada.png';

const profileHtml = `<html><head><title>Ada on Social</title><script>var secret = 1;</script></head>
<body><nav>Home | Explore</nav><main><h1>Ada Lovelace</h1><p>Loves sailing, analog synthesizers and Dutch cheese.</p></main></body></html>`;

describe('Bright Data profile source (Web Unlocker API)', () => {
  let brightData: FakeBrightDataServer;
  const signal = () => new AbortController().signal;
  const source = (overrides: Partial<Parameters<typeof createBrightDataProfileSource>[0]> = {}) =>
    createBrightDataProfileSource({
      apiToken,
      zone: 'gifts_unlocker',
      baseURL: brightData.url,
      timeoutMs: 10_000,
      ...overrides,
    });

  beforeAll(async () => {
    brightData = await startFakeBrightData({
      apiToken,
      zones: ['gifts_unlocker'],
      pages: {
        [profile]: { body: profileHtml },
        [blog]: { contentType: 'text/plain', body: 'I knit scarves for everyone I know.' },
        [missing]: { status: 404, body: '<html><body>No such user</body></html>' },
        [picture]: { contentType: 'image/png', body: 'PNG' },
      },
    });
  });
  afterAll(() => brightData.close());
  beforeEach(() => brightData.setBehaviour({ kind: 'ok' }));

  it('asks POST /request with the Bearer token, the zone, the URL and format raw, and reads the page text', async () => {
    const before = brightData.requests.length;
    const collection = await source({ country: 'de' }).collect({ links: [profile, blog], signal: signal() });
    expect(collection.failures).toEqual([]);
    expect(collection.documents).toEqual([
      { url: profile, title: 'Ada on Social', text: expect.stringContaining('Loves sailing, analog synthesizers') },
      { url: blog, title: null, text: 'I knit scarves for everyone I know.' },
    ]);
    expect(collection.documents[0]?.text).not.toMatch(/secret|Explore/);
    const sent = brightData.requests.slice(before);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/request');
      expect(request.headers.authorization).toBe(`Bearer ${apiToken}`);
      expect(request.headers['content-type']).toBe('application/json');
    }
    expect(
      sent.map((request) => request.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { zone: 'gifts_unlocker', url: blog, format: 'raw', country: 'de' },
      { zone: 'gifts_unlocker', url: profile, format: 'raw', country: 'de' },
    ]);
  });

  it('keeps the other links when one fails, with a reason per failed link, in the order given', async () => {
    const collection = await source().collect({
      links: [missing, profile, 'https://unknown.example.net/x', picture, 'file:///etc/passwd', 'http://127.0.0.1/'],
      signal: signal(),
    });
    expect(collection.documents.map((document) => document.url)).toEqual([profile]);
    expect(collection.failures).toEqual([
      { url: missing, reason: `${missing} answered HTTP 404 through Bright Data` },
      {
        url: 'https://unknown.example.net/x',
        reason:
          'Bright Data could not read https://unknown.example.net/x: Could not reach unknown.example.net (HTTP 502)',
      },
      { url: picture, reason: `${picture} is not a text page (image/png)` },
      { url: 'file:///etc/passwd', reason: 'file:///etc/passwd is not an http(s) URL' },
      { url: 'http://127.0.0.1/', reason: expect.stringMatching(/^127\.0\.0\.1 is a loopback address/) },
    ]);
  });

  it('never sends a refused link to Bright Data', async () => {
    const before = brightData.requests.length;
    const collection = await source().collect({
      links: ['http://localhost:8080/', 'http://[::1]/', 'https://user:pw@social.example.com/', 'not a url'],
      signal: signal(),
    });
    expect(collection.documents).toEqual([]);
    expect(collection.failures).toHaveLength(4);
    expect(brightData.requests.length).toBe(before);
  });

  it('says the API token was refused, without the token', async () => {
    const collection = await source({ apiToken: 'bd-wrong-token-000111' }).collect({
      links: [profile],
      signal: signal(),
    });
    expect(collection.failures).toEqual([
      { url: profile, reason: `Bright Data refused Switchyard's API token (HTTP 401) for ${profile}` },
    ]);
    const zoneless = await source({ zone: 'no_such_zone' }).collect({ links: [profile], signal: signal() });
    expect(zoneless.failures).toEqual([
      { url: profile, reason: `Bright Data refused the request for ${profile} (HTTP 400)` },
    ]);
  });

  it("keeps Bright Data's own error reason, with the token scrubbed from it", async () => {
    brightData.setBehaviour({
      kind: 'error',
      status: 502,
      headers: { 'x-brd-error': `upstream failed for Bearer ${apiToken} (${apiToken})` },
    });
    const collection = await source().collect({ links: [profile], signal: signal() });
    expect(collection.failures).toHaveLength(1);
    expect(collection.failures[0]?.reason).toMatch(/^Bright Data could not read .*\(HTTP 502\)$/);
    expect(JSON.stringify(collection)).not.toContain(apiToken);
  });

  it('turns a 5xx into that link’s failure', async () => {
    brightData.setBehaviour({ kind: 'error', status: 503 });
    const collection = await source().collect({ links: [profile, blog], signal: signal() });
    expect(collection.documents).toEqual([]);
    expect(collection.failures.map((failure) => failure.reason)).toEqual([
      `${profile} answered HTTP 503 through Bright Data`,
      `${blog} answered HTTP 503 through Bright Data`,
    ]);
  });

  it('stops the collection with SY_ERR_UPSTREAM_RATE_LIMITED and the Retry-After on a 429', async () => {
    brightData.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    const error = await errorOf(source().collect({ links: [profile, blog, missing], signal: signal() }));
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', retryAfterSeconds: 7 });
    expect((error as Error).message).toBe('Bright Data is rate limiting Switchyard; retry in 7s');
  });

  it('gives up on a link Bright Data does not answer within the time limit', async () => {
    brightData.setBehaviour({ kind: 'hang' });
    const collection = await source({ timeoutMs: 300 }).collect({ links: [profile], signal: signal() });
    expect(collection).toEqual({
      documents: [],
      failures: [{ url: profile, reason: `Bright Data gave no answer for ${profile} within 300 ms` }],
    });
  });

  it("rethrows the caller's abort", async () => {
    brightData.setBehaviour({ kind: 'hang' });
    const controller = new AbortController();
    const reason = new Error('session cancelled');
    const pending = source({ timeoutMs: 60_000 }).collect({ links: [profile, blog], signal: controller.signal });
    controller.abort(reason);
    expect(await errorOf(pending)).toBe(reason);
  });

  it('cuts the text to maxChars and reads the same link once', async () => {
    brightData.setPage('https://long.example.com/', { contentType: 'text/plain', body: 'gift '.repeat(2000) });
    const collection = await source({ maxChars: 100 }).collect({
      links: ['https://long.example.com/', 'https://long.example.com/'],
      signal: signal(),
    });
    expect(collection.documents).toHaveLength(1);
    const text = collection.documents[0]?.text ?? '';
    expect(text.length).toBeLessThanOrEqual(100);
    expect(text).toMatch(/^gift( gift)+$/);
  });

  it('cannot be reached: a clear reason', async () => {
    const collection = await source({ baseURL: 'http://127.0.0.1:1' }).collect({ links: [profile], signal: signal() });
    expect(collection.failures).toEqual([
      { url: profile, reason: `Bright Data could not be reached to read ${profile}` },
    ]);
  });
});
