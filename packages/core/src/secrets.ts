import type { SwitchyardConfig } from './config';
import { whatsAppSecretValues } from './whatsapp-config';

/**
 * Secret values of the configuration, scrubbed from every error message, log line and stored error
 * column. Values shorter than this are skipped: scrubbing `1`, `true` or `v1` would mangle ordinary
 * words, and a credential that short offers no protection to begin with.
 */
export const minimumSecretLength = 8;

export const redactedMarker = '[redacted]';

/** The credential-bearing parts of one upstream's settings (a provider or an image model). */
export interface UpstreamCredentials {
  readonly apiKey?: string | undefined;
  readonly apiKeys?: readonly string[] | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly baseURL?: string | undefined;
  readonly proxy?: string | undefined;
}

/**
 * Query parameters known to hold no secret. Azure's `api-version=2024-06-01` would otherwise scrub
 * that date from every message and log line.
 */
const publicQueryParameters = new Set(['api-version']);

/** User name, password and query parameter values of a URL (`https://user:pass@host/?key=...`). */
export function urlSecretValues(text: string | null | undefined): string[] {
  if (!text) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const values = [decodeURIComponent(url.username), decodeURIComponent(url.password), url.username, url.password];
  for (const [name, value] of url.searchParams) {
    if (!publicQueryParameters.has(name.toLowerCase())) values.push(value, encodeURIComponent(value));
  }
  return values;
}

/**
 * Every value of an upstream's settings that may be a credential: keys, all header values (Azure's
 * `api-key`, `x-api-key`, custom auth headers), query parameters and user info of the base URL, and
 * the proxy's credentials.
 */
export function upstreamSecretValues(upstream: UpstreamCredentials): string[] {
  return keepSecretLike([
    upstream.apiKey,
    ...(upstream.apiKeys ?? []),
    ...Object.values(upstream.headers ?? {}),
    ...urlSecretValues(upstream.baseURL),
    ...urlSecretValues(upstream.proxy),
  ]);
}

/** Long enough to be a secret, deduplicated, longest first (so a key is scrubbed before a prefix of it). */
function keepSecretLike(values: ReadonlyArray<string | null | undefined>): string[] {
  const kept = new Set<string>();
  for (const value of values) {
    if (typeof value === 'string' && value.length >= minimumSecretLength) kept.add(value);
  }
  return [...kept].sort((left, right) => right.length - left.length);
}

/**
 * Every secret value the configuration holds: the credentials of each provider and image model, every
 * value an environment variable was substituted into in their config (`${AZURE_KEY}`), and the
 * server's own secrets (database, Redis and SMTP passwords, OAuth client secrets, S3 key, AUTH_SECRET,
 * METRICS_TOKEN, the gift finder's Bright Data API token).
 */
export function collectSecretValues(config: SwitchyardConfig): string[] {
  const values: Array<string | null | undefined> = [];
  for (const upstream of [...config.providers, ...config.imageModels, ...(config.audioModels ?? [])]) {
    values.push(...upstreamSecretValues(upstream));
  }
  if (config.webSearch) values.push(...upstreamSecretValues(config.webSearch));
  values.push(config.giftFinder?.profile?.brightdata?.apiToken);
  for (const marketplace of Object.values(config.marketplaces ?? {}) as Array<Record<string, unknown>>) {
    for (const field of ['clientSecret', 'secretKey', 'accessKey', 'refreshToken']) {
      const value = marketplace?.[field];
      if (typeof value === 'string') values.push(value);
    }
  }
  values.push(...(config.substitutedSecrets ?? []));
  values.push(...whatsAppSecretValues(config.whatsapp));
  values.push(config.authSecret, config.metricsToken, config.smtp?.password, config.billing?.webhookSecret);
  values.push(...Object.values(config.observability?.tracing?.headers ?? {}));
  values.push(config.vault?.token, config.vault?.secretId);
  values.push(config.accounts.github?.clientSecret, config.accounts.google?.clientSecret);
  if (config.storage.kind === 's3') values.push(config.storage.secretAccessKey);
  for (const url of [config.databaseUrl, config.devDatabaseUrl, config.redisUrl, config.eventsUrl])
    values.push(...urlSecretValues(url));
  return keepSecretLike(values);
}

export interface SecretScrubber {
  /** The values scrubbed, longest first. */
  readonly values: readonly string[];
  /** The text with every secret value, raw or JSON-escaped, replaced by `[redacted]`. */
  scrub(text: string): string;
  /** Scrubs these too from now on (a secret rotated in Vault: both the old and the new value stay hidden). */
  add(secrets: readonly string[]): void;
}

/** Scrubs the given values (see {@link collectSecretValues}); shorter ones are ignored. */
export function createSecretScrubber(secrets: readonly string[]): SecretScrubber {
  let values = keepSecretLike(secrets);
  let forms: string[] = [];
  const build = () => {
    // A secret with a quote or backslash appears escaped inside a JSON log line.
    forms = [...new Set(values.flatMap((value) => [value, JSON.stringify(value).slice(1, -1)]))].sort(
      (left, right) => right.length - left.length,
    );
  };
  build();
  return {
    get values() {
      return values;
    },
    scrub(text) {
      if (forms.length === 0 || typeof text !== 'string') return text;
      let clean = text;
      for (const form of forms) if (clean.includes(form)) clean = clean.split(form).join(redactedMarker);
      return clean;
    },
    add(more) {
      const next = keepSecretLike([...values, ...more]);
      if (next.length === values.length) return;
      values = next;
      build();
    },
  };
}

const configScrubbers = new WeakMap<SwitchyardConfig, SecretScrubber>();

/** The one scrubber of a configuration, shared by the logger and the server's parts (so a refresh reaches both). */
export function scrubberFor(config: SwitchyardConfig): SecretScrubber {
  let scrubber = configScrubbers.get(config);
  if (!scrubber) {
    scrubber = createSecretScrubber(collectSecretValues(config));
    configScrubbers.set(config, scrubber);
  }
  return scrubber;
}

/** Scrubs nothing: for callers (tests, tools) without configured secrets. */
export const noSecrets: SecretScrubber = createSecretScrubber([]);
