import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

function load(yaml: string, variables: Record<string, string> = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  writeFileSync(join(directory, 'switchyard.config.yaml'), yaml);
  return loadConfig(variables, directory);
}

describe('config: remote HTTP apps (type http)', () => {
  it('reads baseURL and the secret from the environment, and treats the secret as one to redact', () => {
    const config = load(
      'apps:\n  - { id: shop, type: http, baseURL: "http://shop-app:8080", secret: "${SHOP_APP_SECRET}", timeoutMs: 5000 }',
      { SHOP_APP_SECRET: 'a-long-shop-secret-value' },
    );
    expect(config.apps[0]).toMatchObject({ id: 'shop', type: 'http', baseURL: 'http://shop-app:8080' });
    expect(config.apps[0]?.secret).toBe('a-long-shop-secret-value');
    expect(config.substitutedSecrets).toContain('a-long-shop-secret-value');
  });

  it.each([
    ['no secret', 'apps:\n  - { id: shop, type: http, baseURL: "http://x" }', /needs baseURL and secret/],
    ['no baseURL', 'apps:\n  - { id: shop, type: http, secret: s }', /needs baseURL and secret/],
    ['a bad baseURL', 'apps:\n  - { id: shop, type: http, baseURL: "ftp://x", secret: s }', /baseURL must be http/],
    ['an MCP field', 'apps:\n  - { id: shop, type: http, baseURL: "http://x", secret: s, url: "http://y" }', /not url/],
    ['a secret on an MCP app', 'apps:\n  - { id: n, type: mcp, url: "http://x/mcp", secret: s }', /for type http/],
  ])('refuses %s', (_name, yaml, message) => {
    expect(() => load(yaml)).toThrow(message);
  });
});
