import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwitchyardError } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetcher, type HostResolver, refusalOf, type SafeFetcher } from './safe-fetch';

interface Site {
  server: Server;
  port: number;
  hits: string[];
}

async function startSite(host: string, handle: (request: IncomingMessage, response: ServerResponse) => void) {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '/');
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, hits } satisfies Site;
}

async function refusal(promise: Promise<unknown>): Promise<SwitchyardError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SwitchyardError);
  return error as SwitchyardError;
}

/**
 * 127.0.0.2 plays "the public internet" (the one network the tests allow); 127.0.0.1 is the private
 * service an attacker wants to reach. Names resolve through a fake DNS, as an attacker's own DNS would answer.
 */
describe('safe fetch: outbound requests to URLs users name never reach private addresses', () => {
  let internal: Site;
  let publicSite: Site;
  let fetcher: SafeFetcher;
  const dns: Record<string, string[]> = {
    'public.test': ['127.0.0.2'],
    'private.test': ['10.0.0.5'],
    'loopback.test': ['127.0.0.1'],
    'mixed.test': ['127.0.0.2', '127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'v6loop.test': ['::1'],
  };
  const resolve: HostResolver = async (hostname) => {
    const answer = dns[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);
  };

  beforeAll(async () => {
    internal = await startSite('127.0.0.1', (_request, response) => response.end('internal secrets'));
    publicSite = await startSite('127.0.0.2', (request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/redirect') {
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      } else if (url.pathname === '/loop') {
        response.writeHead(301, { location: '/loop' }).end();
      } else if (url.pathname === '/big') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        for (let index = 0; index < 100; index += 1) response.write('x'.repeat(1000));
        response.end();
      } else if (url.pathname === '/hang') {
        // Never answers.
      } else {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>hello from public</p>');
      }
    });
    fetcher = createSafeFetcher({ allowedNetworks: ['127.0.0.2/32'], resolve, maxBytes: 10_000, timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await fetcher?.close();
    internal?.server.close();
    publicSite?.server.close();
  });

  it('fetches a public page by name, following a redirect on the same site', async () => {
    const page = await fetcher.get(`http://public.test:${publicSite.port}/redirect?to=/page`);
    expect(page).toMatchObject({ status: 200, truncated: false, contentType: 'text/html; charset=utf-8' });
    expect(page.url).toBe(`http://public.test:${publicSite.port}/page`);
    expect(page.body.toString()).toContain('hello from public');
  });

  it('refuses loopback, private, link-local, CGNAT, metadata, unspecified and multicast addresses written in the URL', async () => {
    const port = internal.port;
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://127.1:${port}/`,
      `http://0.0.0.0:${port}/`,
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'http://224.0.0.1/',
      'http://[ff02::1]/',
      'http://[64:ff9b::a00:1]/',
    ];
    for (const url of urls) {
      const error = await refusal(fetcher.get(url));
      expect(error.code, url).toBe('SY_ERR_UNSAFE_URL');
    }
    expect(internal.hits).toEqual([]);
  });

  it('checks the DNS answer used for the connection: a name resolving to a private address is refused', async () => {
    for (const name of ['private.test', 'loopback.test', 'metadata.test', 'v6loop.test', 'mixed.test']) {
      const error = await refusal(fetcher.get(`http://${name}:${internal.port}/`));
      expect(error.code, name).toBe('SY_ERR_UNSAFE_URL');
      expect(error.message).toContain('resolves to');
    }
    expect(internal.hits).toEqual([]);
  });

  it('checks again after every redirect: to a private IP, to a name resolving to one, to another scheme', async () => {
    const hop = (to: string) => `http://public.test:${publicSite.port}/redirect?to=${encodeURIComponent(to)}`;
    const toLoopback = await refusal(fetcher.get(hop(`http://127.0.0.1:${internal.port}/admin`)));
    expect(toLoopback.code).toBe('SY_ERR_UNSAFE_URL');
    const toName = await refusal(fetcher.get(hop(`http://loopback.test:${internal.port}/admin`)));
    expect(toName.code).toBe('SY_ERR_UNSAFE_URL');
    const toFile = await refusal(fetcher.get(hop('file:///etc/passwd')));
    expect(toFile.code).toBe('SY_ERR_UNSAFE_URL');
    expect(internal.hits).toEqual([]);
  });

  it('refuses metadata addresses even inside an allowed network', async () => {
    const generous = createSafeFetcher({ allowedNetworks: ['169.254.0.0/16'], resolve });
    try {
      expect((await refusal(generous.get('http://169.254.169.254/'))).message).toContain('metadata');
    } finally {
      await generous.close();
    }
  });

  it('fetches only http and https, without credentials in the URL', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://public.test/', 'gopher://public.test/', 'data:text/plain,hi']) {
      expect((await refusal(fetcher.get(url))).code, url).toBe('SY_ERR_UNSAFE_URL');
    }
    expect((await refusal(fetcher.get(`http://user:pw@public.test:${publicSite.port}/`))).code).toBe(
      'SY_ERR_UNSAFE_URL',
    );
    expect((await refusal(fetcher.get('not a url'))).code).toBe('SY_ERR_VALIDATION');
  });

  it('cuts the body at the size limit, stops after too many redirects, and gives up at the time limit', async () => {
    const big = await fetcher.get(`http://public.test:${publicSite.port}/big`);
    expect(big.truncated).toBe(true);
    expect(big.body.length).toBe(10_000);
    expect((await refusal(fetcher.get(`http://public.test:${publicSite.port}/loop`))).code).toBe('SY_ERR_UPSTREAM');
    const quick = createSafeFetcher({ allowedNetworks: ['127.0.0.2/32'], resolve, timeoutMs: 200 });
    try {
      expect((await refusal(quick.get(`http://public.test:${publicSite.port}/hang`))).code).toBe(
        'SY_ERR_UPSTREAM_TIMEOUT',
      );
    } finally {
      await quick.close();
    }
    expect((await refusal(fetcher.get('http://nowhere.test/'))).code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
  });

  it('judges addresses by range: only public unicast passes', () => {
    expect(refusalOf('93.184.216.34')).toBeNull();
    expect(refusalOf('2606:4700::6810:84e5')).toBeNull();
    expect(refusalOf('127.0.0.1')).toBe('is a loopback address');
    expect(refusalOf('::ffff:10.0.0.1')).toBe('is a private address');
    expect(refusalOf('100.64.1.1')).toBe('is a carrierGradeNat address');
    expect(refusalOf('fd00:ec2::254')).toBe('is a cloud metadata address');
  });
});
