import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorOf } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetcher, type SafeFetcher } from '../../infrastructure/safe-fetch';
import { createFetchProfileSource } from './fetch-profile-source';

async function listen(host: string, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

describe('built-in fetch profile source', () => {
  /** Plays the public web: the one network the fetcher is told it may reach. */
  let site: Server;
  let siteUrl: string;
  /** A private service that must never be reached. */
  let internal: Server;
  let internalUrl: string;
  let internalHits = 0;
  let fetcher: SafeFetcher;
  const signal = () => new AbortController().signal;

  beforeAll(async () => {
    internal = createServer((_request, response) => {
      internalHits += 1;
      response.end('internal admin page');
    });
    internalUrl = await listen('127.0.0.1', internal);
    site = createServer((request, response) => {
      if (request.url === '/ada') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          '<html><head><title>Ada — profile</title><style>.x{}</style></head><body><nav>Home | About</nav>' +
            '<article><h2>About me</h2><p>Into bouldering, jazz records and sourdough.</p></article></body></html>',
        );
      } else if (request.url === '/long') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('sailing '.repeat(5000));
      } else if (request.url === '/to-internal') {
        response.writeHead(302, { location: `${internalUrl}/admin` });
        response.end();
      } else if (request.url === '/photo.jpg') {
        response.writeHead(200, { 'content-type': 'image/jpeg' });
        response.end('JPEG');
      } else if (request.url === '/empty') {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><body><script>render()</script></body></html>');
      } else if (request.url === '/slow') {
        // Never answers: the fetcher's own time limit decides.
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found');
      }
    });
    siteUrl = await listen('127.0.0.2', site);
    fetcher = createSafeFetcher({ allowedNetworks: ['127.0.0.2/32'] });
  });
  afterAll(async () => {
    await fetcher.close();
    site.closeAllConnections();
    await new Promise((resolve) => site.close(resolve));
    await new Promise((resolve) => internal.close(resolve));
  });

  it("reads a linked page's title and main text, without scripts or navigation", async () => {
    const collection = await createFetchProfileSource({ fetcher }).collect({
      links: [`${siteUrl}/ada`],
      signal: signal(),
    });
    expect(collection).toEqual({
      documents: [
        {
          url: `${siteUrl}/ada`,
          title: 'Ada — profile',
          text: 'About me\n\nInto bouldering, jazz records and sourdough.',
        },
      ],
      failures: [],
    });
  });

  it('refuses loopback, private and metadata addresses, also after a redirect, and reads the rest', async () => {
    const port = new URL(internalUrl).port;
    const refused = [
      `${internalUrl}/admin`,
      `http://[::1]:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      `${siteUrl}/to-internal`,
      'file:///etc/passwd',
    ];
    const collection = await createFetchProfileSource({ fetcher }).collect({
      links: [...refused, `${siteUrl}/ada`],
      signal: signal(),
    });
    expect(collection.documents.map((document) => document.url)).toEqual([`${siteUrl}/ada`]);
    expect(collection.failures.map((failure) => failure.url)).toEqual(refused);
    for (const failure of collection.failures) {
      expect(failure.reason, failure.url).toMatch(/^Could not fetch .*(address|http and https)/);
    }
    expect(internalHits).toBe(0);
  });

  it('one failing link leaves the others: not found, not text, no text', async () => {
    const links = [`${siteUrl}/gone`, `${siteUrl}/ada`, `${siteUrl}/photo.jpg`, `${siteUrl}/empty`];
    const collection = await createFetchProfileSource({ fetcher }).collect({ links, signal: signal() });
    expect(collection.documents.map((document) => document.url)).toEqual([`${siteUrl}/ada`]);
    expect(collection.failures).toEqual([
      { url: `${siteUrl}/gone`, reason: `${siteUrl}/gone answered HTTP 404` },
      { url: `${siteUrl}/photo.jpg`, reason: `${siteUrl}/photo.jpg is not a text page (image/jpeg)` },
      { url: `${siteUrl}/empty`, reason: `${siteUrl}/empty has no readable text` },
    ]);
  });

  it("gives up on a page that does not answer within the fetcher's time limit", async () => {
    // Only the silent page here, so the short limit decides nothing else.
    const impatient = createSafeFetcher({ allowedNetworks: ['127.0.0.2/32'], timeoutMs: 300 });
    try {
      const collection = await createFetchProfileSource({ fetcher: impatient }).collect({
        links: [`${siteUrl}/slow`],
        signal: signal(),
      });
      expect(collection).toEqual({
        documents: [],
        failures: [
          { url: `${siteUrl}/slow`, reason: expect.stringMatching(/^Could not fetch .*did not answer within 300 ms/) },
        ],
      });
    } finally {
      await impatient.close();
    }
  });

  it('cuts the text to maxChars at a word boundary', async () => {
    const collection = await createFetchProfileSource({ fetcher, maxChars: 50 }).collect({
      links: [`${siteUrl}/long`],
      signal: signal(),
    });
    const text = collection.documents[0]?.text ?? '';
    expect(text.length).toBeLessThanOrEqual(50);
    expect(text).toMatch(/^sailing( sailing)+$/);
  });

  it("rethrows the caller's abort", async () => {
    const controller = new AbortController();
    const reason = new Error('session cancelled');
    const pending = createFetchProfileSource({ fetcher }).collect({
      links: [`${siteUrl}/slow`],
      signal: controller.signal,
    });
    controller.abort(reason);
    expect(await errorOf(pending)).toBe(reason);
  });
});
