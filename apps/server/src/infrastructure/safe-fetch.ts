import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SwitchyardError } from '@switchyard/core';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, request, errors as undiciErrors } from 'undici';

/** An address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has (tests pass their own, as a DNS server would answer). */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface SafeFetchOptions {
  /**
   * Networks (CIDR, e.g. `192.168.1.0/24`, or single addresses) reached even though they are private:
   * for self-hosters whose pages live on their own network, and for tests. Default none. Cloud
   * metadata addresses stay refused whatever this says.
   */
  readonly allowedNetworks?: readonly string[];
  /** Largest body read; the rest is cut off and the result marked truncated. Default 2 MiB. */
  readonly maxBytes?: number;
  /** For the whole fetch, redirects included. Default 15 s. */
  readonly timeoutMs?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
  readonly userAgent?: string;
  /** Default: the system resolver (every address of the name). */
  readonly resolve?: HostResolver;
}

export interface SafeFetchResult {
  /** The URL the body came from, after redirects. */
  readonly url: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  /** The body was longer than the size limit and was cut. */
  readonly truncated: boolean;
}

export interface SafeFetcher {
  /** GETs a public http(s) URL; refuses (SY_ERR_UNSAFE_URL) a URL whose host is, or resolves to, a non-public address. */
  get(url: string, options?: { signal?: AbortSignal; accept?: string }): Promise<SafeFetchResult>;
  close(): Promise<void>;
}

/** Cloud instance metadata services: refused even inside an allowed network. */
const metadataAddresses = ['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', 'fd00:ec2::23'].map((address) =>
  ipaddr.parse(address).toNormalizedString(),
);

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

function unsafe(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_UNSAFE_URL', message);
}

function parseNetworks(networks: readonly string[]): Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> {
  return networks.map((network) => {
    try {
      return network.includes('/')
        ? ipaddr.parseCIDR(network)
        : ipaddr.parseCIDR(`${network}/${network.includes(':') ? 128 : 32}`);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', `'${network}' is not an address or CIDR network`);
    }
  });
}

/**
 * Why an address may not be reached, or null when it may. Only ordinary public unicast addresses
 * pass: loopback, private (RFC 1918, ULA), link-local, carrier-grade NAT, unspecified, multicast,
 * broadcast, documentation/benchmark ranges and the IPv6 forms that embed an IPv4 address (mapped,
 * NAT64, 6to4, Teredo) are refused, and so is any metadata address.
 */
export function refusalOf(
  address: string,
  allowed: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [],
): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns ::ffff:127.0.0.1 into 127.0.0.1, so the mapped form is judged as what it is.
    parsed = ipaddr.process(address);
  } catch {
    return 'is not an IP address';
  }
  if (metadataAddresses.includes(parsed.toNormalizedString())) return 'is a cloud metadata address';
  const range = parsed.range();
  if (range === 'unicast') return null;
  if (allowed.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits))) return null;
  return `is a ${range} address`;
}

const systemResolver: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

/** Who the public-only connector may reach, and how long it waits to connect. */
export type PublicDispatcherOptions = Pick<SafeFetchOptions, 'allowedNetworks' | 'resolve'> & {
  /** Headers and body timeouts; default 15 s. */
  readonly timeoutMs?: number;
};

/**
 * An undici dispatcher that connects to public addresses only: the connector resolves the name itself,
 * refuses the host if any of its addresses is not public, and connects to the address it checked — so a DNS
 * answer that changes between check and connect (rebinding) cannot slip through. Every connection made with
 * it is checked, redirects' too.
 */
export function createPublicDispatcher(options: PublicDispatcherOptions = {}): Agent {
  const allowed = parseNetworks(options.allowedNetworks ?? []);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const resolve = options.resolve ?? systemResolver;
  const base = buildConnector({ timeout: Math.min(timeoutMs, 10_000) });

  async function checkedAddress(hostname: string): Promise<string> {
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    if (isIP(host)) {
      const refusal = refusalOf(host, allowed);
      if (refusal) throw unsafe(`${host} ${refusal}; Switchyard does not fetch from it`);
      return host;
    }
    let addresses: readonly ResolvedAddress[];
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', `${host} could not be resolved`, { cause: error });
    }
    if (addresses.length === 0) throw new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', `${host} has no address`);
    // Every answer is checked: a name with one public and one private address is refused outright.
    for (const { address } of addresses) {
      const refusal = refusalOf(address, allowed);
      if (refusal) throw unsafe(`${host} resolves to ${address}, which ${refusal}; Switchyard does not fetch from it`);
    }
    return (addresses[0] as ResolvedAddress).address;
  }

  return new Agent({
    connect(connectOptions, callback) {
      checkedAddress(connectOptions.hostname).then(
        (address) => {
          const host = connectOptions.hostname;
          const named = !isIP(host.startsWith('[') ? host.slice(1, -1) : host);
          base({ ...connectOptions, hostname: address, ...(named ? { servername: host } : {}) }, callback);
        },
        (error: Error) => callback(error, null),
      );
    },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

/**
 * Outbound HTTP to URLs that users (or models) name: a fetch skill, webhooks, scrapers. The address
 * is checked where the connection is made (see createPublicDispatcher). Every redirect is a new
 * request through the same connector; bodies are streamed and cut at the size limit.
 */
export function createSafeFetcher(options: SafeFetchOptions = {}): SafeFetcher {
  const maxBytes = options.maxBytes ?? 2 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const dispatcher = createPublicDispatcher(options);

  function checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', `'${raw.slice(0, 200)}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw unsafe(`Only http and https URLs are fetched, not ${url.protocol.slice(0, -1)}`);
    }
    if (url.username || url.password) throw unsafe('URLs with a user name or password are not fetched');
    return url;
  }

  async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }) {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const room = maxBytes - size;
      if (chunk.length > room) {
        parts.push(chunk.subarray(0, room));
        body.destroy();
        return { body: Buffer.concat(parts), truncated: true };
      }
      parts.push(chunk);
      size += chunk.length;
    }
    return { body: Buffer.concat(parts), truncated: false };
  }

  return {
    async get(raw, callOptions = {}) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = callOptions.signal ? AbortSignal.any([callOptions.signal, deadline]) : deadline;
      let url = checkUrl(raw);
      try {
        for (let hop = 0; ; hop += 1) {
          const response = await request(url, {
            method: 'GET',
            dispatcher,
            signal,
            headers: {
              accept: callOptions.accept ?? 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5',
              'user-agent': options.userAgent ?? 'Switchyard',
            },
          });
          const location = response.headers.location;
          if (redirectStatuses.has(response.statusCode) && location) {
            await response.body.dump().catch(() => {});
            if (hop >= maxRedirects) {
              throw new SwitchyardError('SY_ERR_UPSTREAM', `More than ${maxRedirects} redirects`, {
                isRetryable: false,
              });
            }
            // The next hop is checked like the first: scheme here, address in the connector.
            url = checkUrl(new URL(String(location), url).toString());
            continue;
          }
          const read = await readLimited(response.body);
          const contentType = response.headers['content-type'];
          return {
            url: url.toString(),
            status: response.statusCode,
            contentType: String(Array.isArray(contentType) ? contentType[0] : (contentType ?? '')),
            ...read,
          };
        }
      } catch (error) {
        if (error instanceof SwitchyardError) throw error;
        // The connector's own refusal reaches us wrapped by undici in some paths.
        const cause = (error as { cause?: unknown }).cause;
        if (cause instanceof SwitchyardError) throw cause;
        if (deadline.aborted) {
          throw new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', `${url.host} did not answer within ${timeoutMs} ms`);
        }
        if (callOptions.signal?.aborted) throw callOptions.signal.reason ?? error;
        const timedOut =
          error instanceof undiciErrors.HeadersTimeoutError ||
          error instanceof undiciErrors.BodyTimeoutError ||
          error instanceof undiciErrors.ConnectTimeoutError;
        throw new SwitchyardError(
          timedOut ? 'SY_ERR_UPSTREAM_TIMEOUT' : 'SY_ERR_UPSTREAM_UNAVAILABLE',
          `${url.host} could not be reached (${(error as Error).message})`,
          { cause: error },
        );
      }
    },
    close: () => dispatcher.close(),
  };
}
