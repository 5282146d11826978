import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeBrightDataServer, startFakeBrightData } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProfileSources } from './create-profile-sources';

const apiToken = 'bd-token-factory-31337';

describe('createProfileSources', () => {
  let site: Server;
  let siteUrl: string;
  let brightData: FakeBrightDataServer;
  const signal = () => new AbortController().signal;

  beforeAll(async () => {
    site = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('Collects vintage fountain pens.');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.2', resolve));
    siteUrl = `http://127.0.0.2:${(site.address() as AddressInfo).port}/pens`;
    brightData = await startFakeBrightData({
      apiToken,
      pages: { 'https://social.example.com/ada': { contentType: 'text/plain', body: 'Plays the cello.' } },
    });
  });
  afterAll(async () => {
    site.closeAllConnections();
    await new Promise((resolve) => site.close(resolve));
    await brightData.close();
  });

  it('is the built-in fetch source by default, under the web app’s fetch rules (allowed networks included)', async () => {
    const closed = createProfileSources({ giftFinder: {}, builtinApps: {} });
    try {
      expect(closed.source.name).toBe('fetch');
      expect(closed.maxChars).toBe(20_000);
      const refused = await closed.source.collect({ links: [siteUrl], signal: signal() });
      expect(refused.failures[0]?.reason).toMatch(/^Could not fetch .*loopback address/);
    } finally {
      await closed.close();
    }
    const allowed = createProfileSources({
      giftFinder: { profile: { maxChars: 9 } },
      builtinApps: { web: { allowedNetworks: ['127.0.0.2/32'] } },
    });
    try {
      const collection = await allowed.source.collect({ links: [siteUrl], signal: signal() });
      expect(collection).toEqual({ documents: [{ url: siteUrl, title: null, text: 'Collects' }], failures: [] });
    } finally {
      await allowed.close();
    }
  });

  it('is the Bright Data source when configured', async () => {
    const sources = createProfileSources({
      giftFinder: {
        profile: { source: 'brightdata', brightdata: { apiToken, zone: 'web_unlocker1', baseURL: brightData.url } },
      },
      builtinApps: {},
    });
    expect(sources.source.name).toBe('brightdata');
    const collection = await sources.source.collect({ links: ['https://social.example.com/ada'], signal: signal() });
    expect(collection.documents).toEqual([
      { url: 'https://social.example.com/ada', title: null, text: 'Plays the cello.' },
    ]);
    await sources.close();
  });
});
