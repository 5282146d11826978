import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeVaultServer, startFakeVault } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, loadConfigWithSecrets, reloadConfig } from './config';
import { collectSecretValues } from './secrets';

const openaiKey = 'sk-vault-openai-key-0123456789';
const rootToken = 'hvs.root-token-for-tests-0001';

function directoryWith(yaml: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
  writeFileSync(join(directory, 'switchyard.config.yaml'), yaml);
  return directory;
}

const vaultConfig = `# \${vault:secret/data/not-here#ignored} in a comment is not read
providers:
  - id: openai
    type: openai-compatible
    baseURL: https://api.openai.com/v1
    apiKey: \${vault:secret/data/switchyard#openai_key}
models:
  - id: gpt
    provider: openai
`;

describe('secrets from files (NAME_FILE)', () => {
  it('reads every variable from its _FILE, dropping one trailing newline', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-secret-files-'));
    writeFileSync(join(directory, 'auth'), 'a-session-secret-that-is-long-enough-0123\n');
    writeFileSync(join(directory, 'db'), 'postgres://u:p@db/prod');
    writeFileSync(join(directory, 'devdb'), 'postgres://u:p@db/dev\n');
    const config = loadConfig(
      {
        AUTH_SECRET_FILE: join(directory, 'auth'),
        DATABASE_URL_FILE: join(directory, 'db'),
        DEV_DATABASE_URL_FILE: join(directory, 'devdb'),
      },
      directory,
    );
    expect(config.authSecret).toBe('a-session-secret-that-is-long-enough-0123');
    expect(config.databaseUrl).toBe('postgres://u:p@db/prod');
    expect(config.devDatabaseUrl).toBe('postgres://u:p@db/dev');
  });

  it('feeds ${NAME} in the config file, and the value is scrubbed as a secret', () => {
    const directory = directoryWith(
      'providers:\n  - id: openai\n    type: openai-compatible\n    baseURL: https://x.test/v1\n    apiKey: ${OPENAI_API_KEY}\n',
    );
    writeFileSync(join(directory, 'key'), 'sk-from-a-docker-secret-123456\n');
    const config = loadConfig({ OPENAI_API_KEY_FILE: join(directory, 'key') }, directory);
    expect(config.providers[0]?.apiKey).toBe('sk-from-a-docker-secret-123456');
    expect(collectSecretValues(config)).toContain('sk-from-a-docker-secret-123456');
  });

  it('refuses NAME and NAME_FILE together, and a file that cannot be read, without printing a value', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-secret-files-'));
    expect(() =>
      loadConfig({ AUTH_SECRET: 'x'.repeat(40), AUTH_SECRET_FILE: join(directory, 'auth') }, directory),
    ).toThrow(/Both AUTH_SECRET and AUTH_SECRET_FILE are set/);
    expect(() => loadConfig({ METRICS_TOKEN_FILE: join(directory, 'missing') }, directory)).toThrow(
      /METRICS_TOKEN_FILE points at .*missing, which cannot be read \(ENOENT\)/,
    );
  });

  it("leaves other programs' *_FILE variables alone (TF_CLI_CONFIG_FILE pointing at a missing file does not stop the start)", () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-secret-files-'));
    const config = loadConfig(
      { TF_CLI_CONFIG_FILE: join(directory, '.terraformrc'), KUBECONFIG_FILE: join(directory, 'kube'), PORT: '9999' },
      directory,
    );
    expect(config.port).toBe(9999);
    // Set together with its _FILE is someone else's business too.
    expect(() => loadConfig({ GIT_CONFIG: 'x', GIT_CONFIG_FILE: join(directory, 'missing') }, directory)).not.toThrow();
  });

  it('still refuses an unreadable _FILE of a variable the config file references', () => {
    const directory = directoryWith(
      'providers:\n  - id: openai\n    type: openai-compatible\n    baseURL: https://x.test/v1\n    apiKey: ${OPENAI_API_KEY}\n',
    );
    expect(() => loadConfig({ OPENAI_API_KEY_FILE: join(directory, 'missing-key') }, directory)).toThrow(
      /OPENAI_API_KEY_FILE points at .*missing-key, which cannot be read \(ENOENT\)/,
    );
  });

  it('leaves LOG_FILE alone: it is where logs go, not a file holding LOG', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-secret-files-'));
    const logFile = join(directory, 'not-yet-written.log');
    expect(loadConfig({ LOG_FILE: logFile }, directory).observability?.logFile?.path).toBe(logFile);
  });
});

describe('secrets from Vault / OpenBao KV v2', () => {
  let vault: FakeVaultServer;
  beforeAll(async () => {
    vault = await startFakeVault({
      tokens: [rootToken],
      appRoles: { 'switchyard-role': 'switchyard-secret-id-0001' },
      secrets: { 'secret/switchyard': { openai_key: openaiKey, metrics: 'metrics-token-from-vault-01' } },
    });
  });
  afterAll(() => vault.close());

  it('resolves references in the config file and in variables with a token', async () => {
    const directory = directoryWith(vaultConfig);
    const config = await loadConfigWithSecrets(
      {
        VAULT_ADDR: vault.url,
        VAULT_TOKEN: rootToken,
        METRICS_TOKEN: '${vault:secret/data/switchyard#metrics}',
      },
      directory,
    );
    expect(config.providers[0]?.apiKey).toBe(openaiKey);
    expect(config.metricsToken).toBe('metrics-token-from-vault-01');
    const secrets = collectSecretValues(config);
    expect(secrets).toEqual(expect.arrayContaining([openaiKey, rootToken, 'metrics-token-from-vault-01']));
    const reads = vault.requests.filter((request) => request.path === '/v1/secret/data/switchyard');
    expect(reads.at(-1)?.headers['x-vault-token']).toBe(rootToken);
    // One read per secret path, however many fields are referenced.
    expect(reads).toHaveLength(1);
  });

  it('logs in with AppRole, and logs in again when the token expired', async () => {
    const directory = directoryWith(vaultConfig);
    const variables = {
      VAULT_ADDR: vault.url,
      VAULT_ROLE_ID: 'switchyard-role',
      VAULT_SECRET_ID: 'switchyard-secret-id-0001',
    };
    const before = vault.loginCount;
    const config = await loadConfigWithSecrets(variables, directory);
    expect(config.providers[0]?.apiKey).toBe(openaiKey);
    expect(vault.loginCount).toBe(before + 1);

    // A rotation in Vault reaches a reload, even after the login token expired.
    vault.writeSecret('secret/switchyard', { openai_key: 'sk-rotated-openai-key-9876543', metrics: 'm'.repeat(20) });
    vault.expireLoginTokens();
    const fresh = await reloadConfig(config);
    expect(fresh.providers[0]?.apiKey).toBe('sk-rotated-openai-key-9876543');
    vault.writeSecret('secret/switchyard', { openai_key: openaiKey, metrics: 'metrics-token-from-vault-01' });
  });

  it('says what is wrong without printing tokens: bad AppRole, missing field, missing path, no VAULT_ADDR', async () => {
    const directory = directoryWith(vaultConfig);
    const refused = await loadConfigWithSecrets(
      { VAULT_ADDR: vault.url, VAULT_ROLE_ID: 'switchyard-role', VAULT_SECRET_ID: 'wrong-secret-id-000' },
      directory,
    ).catch((error: Error) => error);
    expect((refused as Error).message).toMatch(/AppRole login at auth\/approle\/login was refused \(HTTP 400\)/);
    expect((refused as Error).message).not.toContain('wrong-secret-id-000');

    const noField = directoryWith(vaultConfig.replace('#openai_key', '#nope'));
    await expect(loadConfigWithSecrets({ VAULT_ADDR: vault.url, VAULT_TOKEN: rootToken }, noField)).rejects.toThrow(
      "secret/data/switchyard has no field 'nope'",
    );
    const noPath = directoryWith(vaultConfig.replace('secret/data/switchyard', 'secret/data/elsewhere'));
    await expect(loadConfigWithSecrets({ VAULT_ADDR: vault.url, VAULT_TOKEN: rootToken }, noPath)).rejects.toThrow(
      /no secret at secret\/data\/elsewhere/,
    );
    const denied = await loadConfigWithSecrets(
      { VAULT_ADDR: vault.url, VAULT_TOKEN: 'hvs.not-a-valid-token-x' },
      directory,
    ).catch((error: Error) => error);
    expect((denied as Error).message).toMatch(/permission denied/);
    expect((denied as Error).message).not.toContain('hvs.not-a-valid-token-x');
    await expect(loadConfigWithSecrets({}, directory)).rejects.toThrow(/references Vault .* VAULT_ADDR is not set/);
    // The synchronous loader cannot fetch: it says so instead of passing the reference on as a key.
    expect(() => loadConfig({}, directory)).toThrow(
      /Vault reference secret\/data\/switchyard#openai_key was not resolved/,
    );
  });

  it('reports an unreachable Vault as a dependency fault', async () => {
    const directory = directoryWith(vaultConfig);
    const error = await loadConfigWithSecrets(
      { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: rootToken },
      directory,
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/Vault: cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
