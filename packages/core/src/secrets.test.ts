import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from './config';
import { collectSecretValues, createSecretScrubber, minimumSecretLength } from './secrets';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function configWith(file: Record<string, unknown>, variables: Record<string, string> = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
  directories.push(directory);
  const path = join(directory, 'switchyard.config.yaml');
  writeFileSync(path, stringify(file));
  return loadConfig({ SWITCHYARD_CONFIG: path, SWITCHYARD_DATA_DIR: directory, ...variables });
}

describe('collectSecretValues', () => {
  it("includes the web-search provider's key and the credentials in its base URL", () => {
    const config = configWith({
      webSearch: {
        type: 'searxng',
        baseURL: 'https://searcher:searx-password-77@searx.example.org',
        apiKey: 'searx-bearer-token-1',
      },
    });
    expect(collectSecretValues(config)).toEqual(expect.arrayContaining(['searx-bearer-token-1', 'searx-password-77']));
  });

  it("includes the gift finder's Bright Data API token, written inline", () => {
    const config = configWith({
      giftFinder: { profile: { source: 'brightdata', brightdata: { apiToken: 'bd-inline-token-9876', zone: 'z1' } } },
    });
    expect(collectSecretValues(config)).toContain('bd-inline-token-9876');
  });

  it('finds every credential of providers and image models, not only apiKey', () => {
    const config = configWith(
      {
        providers: [
          {
            id: 'azure',
            type: 'openai-compatible',
            baseURL: 'https://example.openai.azure.com/openai?api-version=2024-06-01&sig=query-signature-123',
            headers: { 'api-key': '${AZURE_KEY}', 'x-tenant-token': 'tenant-token-abcdef' },
            proxy: 'http://proxy-user:proxy-password-9@proxy.internal:3128',
          },
          { id: 'rotated', type: 'openai-compatible', baseURL: 'http://127.0.0.1:1', apiKeys: ['rotated-key-one'] },
        ],
        imageModels: [
          {
            id: 'dalle',
            type: 'openai-images',
            baseURL: 'https://images.example.com/v1',
            apiKey: 'image-model-key-123',
            headers: { 'x-image-auth': 'image-header-secret' },
          },
        ],
        audioModels: [
          {
            id: 'whisper',
            type: 'openai-compatible',
            baseURL: 'https://audio.example.com/v1',
            apiKey: 'audio-model-key-123',
            headers: { 'x-audio-auth': 'audio-header-secret' },
          },
        ],
      },
      { AZURE_KEY: 'azure-header-key-0123456789' },
    );
    const values = collectSecretValues(config);
    for (const secret of [
      'azure-header-key-0123456789',
      'tenant-token-abcdef',
      'query-signature-123',
      'proxy-password-9',
      'proxy-user',
      'rotated-key-one',
      'image-model-key-123',
      'image-header-secret',
      'audio-model-key-123',
      'audio-header-secret',
    ]) {
      expect(values).toContain(secret);
    }
    // A date-like API version is public; scrubbing it would garble every date in the logs.
    expect(values).not.toContain('2024-06-01');
  });

  it('counts any value an environment variable put into a provider, whatever the field', () => {
    const config = configWith(
      {
        providers: [{ id: 'p', type: 'openai-compatible', baseURL: 'http://127.0.0.1:1', echoDelayMs: 0 }],
        imageModels: [{ id: 'img', type: 'comfyui', baseURL: '${COMFY_URL}', label: '${COMFY_LABEL}' }],
      },
      { COMFY_URL: 'http://comfy-host-secret.internal:8188', COMFY_LABEL: 'A label not secret' },
    );
    const values = collectSecretValues(config);
    expect(values).toContain('http://comfy-host-secret.internal:8188');
    // Names and labels are shown to users anyway; scrubbing them would only garble messages.
    expect(values).not.toContain('A label not secret');
  });

  it("includes the server's own secrets and skips values too short to be one", () => {
    const config = configWith(
      { providers: [{ id: 'short', type: 'openai-compatible', baseURL: 'http://127.0.0.1:1', headers: { a: 'v1' } }] },
      {
        AUTH_SECRET: 'an-auth-secret-that-is-long-enough-0123456789',
        METRICS_TOKEN: 'metrics-token-xyz',
        DATABASE_URL: 'postgres://app:database-password@db:5432/prod',
        DEV_DATABASE_URL: 'postgres://app:dev-database-password@db:5432/dev',
      },
    );
    const values = collectSecretValues(config);
    expect(values).toEqual(
      expect.arrayContaining([
        'an-auth-secret-that-is-long-enough-0123456789',
        'metrics-token-xyz',
        'database-password',
        'dev-database-password',
      ]),
    );
    expect(values).not.toContain('v1');
    expect(values.every((value) => value.length >= minimumSecretLength)).toBe(true);
  });
});

describe('createSecretScrubber', () => {
  it('replaces raw and JSON-escaped occurrences, the longest value first', () => {
    const scrubber = createSecretScrubber(['abc"def\\ghi-0', 'key-prefix-1', 'key-prefix-1-and-more', 'short']);
    expect(scrubber.scrub('bad key key-prefix-1-and-more here')).toBe('bad key [redacted] here');
    expect(scrubber.scrub(JSON.stringify({ message: 'got abc"def\\ghi-0' }))).toBe('{"message":"got [redacted]"}');
    expect(scrubber.scrub('a short word stays')).toBe('a short word stays');
  });
});
