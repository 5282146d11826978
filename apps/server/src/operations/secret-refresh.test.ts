import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigWithSecrets, scrubberFor } from '@switchyard/core';
import { createModelRegistry } from '@switchyard/routing';
import { startFakeOpenAI, startFakeVault } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { startSecretRefresh } from './secret-refresh';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('secrets refreshed from Vault without a restart', () => {
  it('a key rotated in Vault reaches the provider on the next call; both values stay scrubbed', async () => {
    const vault = await startFakeVault({
      tokens: ['hvs.refresh-test-token-01'],
      secrets: { 'secret/switchyard': { openai_key: 'sk-first-key-0000000001' } },
    });
    const upstream = await startFakeOpenAI();
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-refresh-'));
    writeFileSync(
      join(directory, 'switchyard.config.yaml'),
      `providers:\n  - id: openai\n    type: openai-compatible\n    baseURL: ${upstream.url}\n    apiKey: \${vault:secret/data/switchyard#openai_key}\nmodels:\n  - id: gpt\n    provider: openai\n    upstreamModel: gpt-4o-mini\n`,
    );
    const config = await loadConfigWithSecrets(
      { VAULT_ADDR: vault.url, VAULT_TOKEN: 'hvs.refresh-test-token-01', VAULT_REFRESH_SECONDS: '0' },
      directory,
    );
    const models = createModelRegistry(config, quiet);
    const secrets = scrubberFor(config);
    const warnings: string[] = [];
    const refresh = startSecretRefresh({
      config,
      models,
      secrets,
      logger: { info: () => {}, warn: (_fields: unknown, message?: string) => warnings.push(String(message)) },
    });
    const call = async () => {
      const adapter = models.resolve('gpt')?.deployments[0]?.provider.adapters[0];
      await adapter?.listModels({ signal: AbortSignal.timeout(5000) });
      return upstream.requests.at(-1)?.headers.authorization;
    };
    try {
      expect(await call()).toBe('Bearer sk-first-key-0000000001');
      expect(await refresh.refreshNow()).toEqual([]);

      vault.writeSecret('secret/switchyard', { openai_key: 'sk-second-key-000000002' });
      expect(await refresh.refreshNow()).toEqual(['openai']);
      expect(await call()).toBe('Bearer sk-second-key-000000002');
      expect(secrets.scrub('old sk-first-key-0000000001 new sk-second-key-000000002')).toBe(
        'old [redacted] new [redacted]',
      );

      // Vault down: the current key stays in use and the failure is logged.
      vault.setBehaviour({ kind: 'error', status: 503 });
      expect(await refresh.refreshNow()).toEqual([]);
      expect(warnings).toEqual(['reading secrets from Vault failed; the current values stay in use']);
      expect(await call()).toBe('Bearer sk-second-key-000000002');
    } finally {
      refresh.stop();
      await models.close();
      await Promise.all([vault.close(), upstream.close()]);
    }
  });
});
