import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpolateEnvironment, loadConfig } from './config';

function withConfigFile(yaml: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  writeFileSync(join(directory, 'switchyard.config.yaml'), yaml);
  return directory;
}

describe('loadConfig', () => {
  it('gives the embedded defaults with no file and no variables', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
    const config = loadConfig({}, directory);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: join(directory, 'data'),
      databaseUrl: null,
      redisUrl: null,
      allowAnonymous: true,
      providers: [],
      models: [],
      configPath: null,
    });
    expect(config.ollama.autodetect).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ollama)).toBe(true);
  });

  it('reads providers and models, interpolating secrets from the environment', () => {
    const directory = withConfigFile(`
providers:
  - id: openai
    type: openai-compatible
    baseURL: https://api.openai.com/v1
    apiKey: \${OPENAI_API_KEY}
models:
  - id: smart
    provider: openai
    upstreamModel: gpt-4o-mini
    label: Smart
defaultModel: smart
`);
    const config = loadConfig({ OPENAI_API_KEY: 'sk-test: with # yaml chars', PORT: '9090' }, directory);
    expect(config.providers[0]?.apiKey).toBe('sk-test: with # yaml chars');
    expect(config.models[0]).toMatchObject({ id: 'smart', upstreamModel: 'gpt-4o-mini', label: 'Smart' });
    expect(config.defaultModel).toBe('smart');
    expect(config.port).toBe(9090);
    expect(config.configPath).toBe(join(directory, 'switchyard.config.yaml'));
  });

  it.each([
    [
      'a missing secret',
      'providers:\n  - { id: a, type: openai-compatible, baseURL: "http://x/v1", apiKey: "${NOPE}" }',
      /NOPE is not set/,
    ],
    ['an unknown provider type', 'providers:\n  - { id: a, type: carrier-pigeon, baseURL: "http://x" }', /providers/],
    ['an unknown top-level field', 'provders: []', /provders|additional/i],
    ['a model naming an unknown provider', 'models:\n  - { id: m, provider: ghost }', /unknown provider 'ghost'/],
    ['a provider without baseURL', 'providers:\n  - { id: a, type: ollama }', /needs a baseURL/],
    ['a non-http baseURL', 'providers:\n  - { id: a, type: ollama, baseURL: "file:///etc" }', /must be http/],
    [
      'a duplicate provider id',
      'providers:\n  - { id: a, type: ollama, baseURL: "http://x" }\n  - { id: a, type: ollama, baseURL: "http://y" }',
      /used twice/,
    ],
    ['a default model that is not a model', 'defaultModel: ghost', /defaultModel 'ghost'/],
    ['broken YAML', 'providers: [\n', /not valid YAML/],
    ['a SearXNG web search without baseURL', 'webSearch: { type: searxng }', /searxng needs a baseURL/],
    ['a Brave web search without apiKey', 'webSearch: { type: brave }', /brave needs an apiKey/],
    ['an unknown web-search type', 'webSearch: { type: bing, apiKey: k }', /webSearch/],
    ['an unknown built-in app', 'builtinApps: { shell: { enabled: true } }', /builtinApps/],
    [
      'a Bright Data profile source without its settings',
      'giftFinder: { profile: { source: brightdata } }',
      /brightdata needs giftFinder\.profile\.brightdata/,
    ],
    [
      'a Bright Data profile source without a zone',
      'giftFinder: { profile: { source: brightdata, brightdata: { apiToken: t } } }',
      /giftFinder/,
    ],
    [
      'a non-http Bright Data baseURL',
      'giftFinder: { profile: { brightdata: { apiToken: t, zone: z, baseURL: "ftp://x" } } }',
      /brightdata\.baseURL must be http/,
    ],
    ['an unknown profile source', 'giftFinder: { profile: { source: scraper } }', /giftFinder/],
  ])('rejects %s with a message naming the file', (_name, yaml, pattern) => {
    const directory = withConfigFile(yaml);
    expect(() => loadConfig({}, directory)).toThrow(pattern);
    expect(() => loadConfig({}, directory)).toThrow(/switchyard\.config\.yaml|environment variable/);
  });

  it('rejects a bad PORT, half a server-mode setup, and a SWITCHYARD_CONFIG that does not exist', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
    expect(() => loadConfig({ PORT: 'eighty' }, directory)).toThrow(/PORT must be/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y' }, directory)).toThrow(/DEV_DATABASE_URL/);
    expect(() => loadConfig({ SWITCHYARD_CONFIG: 'missing.yaml' }, directory)).toThrow(/does not exist/);
  });

  it('reads how long completed jobs are kept, with defaults, and refuses nonsense', () => {
    expect(loadConfig({}, mkdtempSync(join(tmpdir(), 'switchyard-config-'))).jobs).toEqual({
      retainCompletedHours: 24,
      retainCompletedCount: 10_000,
    });
    const config = loadConfig({}, withConfigFile('jobs: { retainCompletedHours: 72, retainCompletedCount: 50000 }\n'));
    expect(config.jobs).toEqual({ retainCompletedHours: 72, retainCompletedCount: 50_000 });
    expect(() => loadConfig({}, withConfigFile('jobs: { retainCompletedCount: 5 }\n'))).toThrow(/retainCompletedCount/);
    expect(() => loadConfig({}, withConfigFile('jobs: { keepForever: true }\n'))).toThrow(/jobs/);
  });

  it('interpolates with fallbacks', () => {
    expect(interpolateEnvironment('${A:-x}-${B}', { B: 'b' }, 'test')).toBe('x-b');
    expect(interpolateEnvironment('${A:-x}', { A: 'a' }, 'test')).toBe('a');
  });

  it('reads the web-search provider and built-in app switches, and treats the search key as a secret', () => {
    const directory = withConfigFile(`
webSearch: { type: tavily, apiKey: "\${TAVILY_API_KEY}", timeoutMs: 5000 }
builtinApps:
  web: { allowedNetworks: [192.168.1.0/24], fetchMaxBytes: 100000 }
  images: { enabled: false }
`);
    const config = loadConfig({ TAVILY_API_KEY: 'tvly-secret-value-123' }, directory);
    expect(config.webSearch).toEqual({ type: 'tavily', apiKey: 'tvly-secret-value-123', timeoutMs: 5000 });
    expect(config.builtinApps).toEqual({
      web: { allowedNetworks: ['192.168.1.0/24'], fetchMaxBytes: 100000 },
      images: { enabled: false },
    });
    expect(config.substitutedSecrets).toContain('tvly-secret-value-123');
    const none = loadConfig({}, mkdtempSync(join(tmpdir(), 'switchyard-config-')));
    expect(none.webSearch).toBeNull();
    expect(none.builtinApps).toEqual({});
  });

  it("reads the gift finder's profile source, and treats the Bright Data token as a secret", () => {
    const directory = withConfigFile(`
giftFinder:
  profile:
    source: brightdata
    maxChars: 8000
    brightdata: { apiToken: "\${BRIGHTDATA_API_TOKEN}", zone: gifts_unlocker, timeoutMs: 30000, country: de }
`);
    const config = loadConfig({ BRIGHTDATA_API_TOKEN: 'bd-secret-token-4242' }, directory);
    expect(config.giftFinder).toEqual({
      profile: {
        source: 'brightdata',
        maxChars: 8000,
        brightdata: { apiToken: 'bd-secret-token-4242', zone: 'gifts_unlocker', timeoutMs: 30000, country: 'de' },
      },
    });
    expect(config.substitutedSecrets).toContain('bd-secret-token-4242');
    expect(loadConfig({}, mkdtempSync(join(tmpdir(), 'switchyard-config-'))).giftFinder).toEqual({});
  });
});
