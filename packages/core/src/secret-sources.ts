import { readFileSync } from 'node:fs';
import type { EnvironmentVariables } from './config';
import { SwitchyardError } from './errors';

/** Variables that are settings themselves (LOG_FILE: where logs are written), never `NAME_FILE` of a NAME. */
const ownFileSettings: ReadonlySet<string> = new Set(['LOG_FILE']);

/**
 * The variables Switchyard itself reads (docs/configuration.md). Their `NAME_FILE` must work: a file
 * that cannot be read, or NAME set as well, stops the start with a clear error.
 */
const ownVariable =
  /^(SWITCHYARD_[A-Z0-9_]+|(DEV_)?DATABASE_URL|REDIS_URL|EVENTS_URL|AUTH_SECRET|BILLING_WEBHOOK_SECRET|METRICS_TOKEN|OLLAMA_BASE_URL|PUBLIC_URL|CORS_ORIGINS|TRUST_PROXY|HOST|PORT|S3_[A-Z0-9_]+|SMTP_[A-Z0-9_]+|VAULT_[A-Z0-9_]+|OTEL_[A-Z0-9_]+|BACKUP_[A-Z0-9_]+|LOG_[A-Z0-9_]+|ACCESS_LOG[A-Z0-9_]*|SHUTDOWN_[A-Z0-9_]+|BODY_LIMIT_BYTES|PG_BIN_DIR)$/;

/** `${NAME}` and `${NAME:-fallback}` in a config file's text: the variables it needs. */
export function referencedVariables(text: string | null): ReadonlySet<string> {
  const names = new Set<string>();
  if (text === null) return names;
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) names.add(match[1] as string);
  return names;
}

/**
 * `NAME_FILE=/run/secrets/name` (Docker and Kubernetes secrets): the file's content becomes `NAME`,
 * so each secret setting can come from a mounted file. A trailing newline (what `echo` and most
 * editors leave) is dropped. For the variables Switchyard reads and those the config file references
 * (`referenced`), setting both `NAME` and `NAME_FILE` is an error (which one wins would be a guess), and
 * so is a file that cannot be read. Any other `*_FILE` in the environment belongs to some other program
 * (TF_CLI_CONFIG_FILE, say): it is used when readable and otherwise left alone, never a reason to stop.
 */
export function applySecretFiles(
  variables: EnvironmentVariables,
  referenced: ReadonlySet<string> = new Set(),
): EnvironmentVariables {
  const result: Record<string, string | undefined> = { ...variables };
  for (const [name, path] of Object.entries(variables)) {
    if (!name.endsWith('_FILE') || name.length <= 5 || path === undefined || path === '') continue;
    // Settings of ours whose own name ends in _FILE are values, not indirections.
    if (ownFileSettings.has(name)) continue;
    const target = name.slice(0, -5);
    // Only upper-case variable names count.
    if (!/^[A-Z][A-Z0-9_]*$/.test(target)) continue;
    const needed = ownVariable.test(target) || referenced.has(target);
    if (variables[target] !== undefined && variables[target] !== '') {
      if (!needed) continue;
      throw new SwitchyardError('SY_ERR_VALIDATION', `Both ${target} and ${name} are set; set only one of them`);
    }
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (error) {
      if (!needed) continue;
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new SwitchyardError('SY_ERR_VALIDATION', `${name} points at ${path}, which cannot be read (${reason})`);
    }
    result[target] = content.replace(/\r?\n$/, '');
  }
  return result;
}

/** `${vault:secret/data/switchyard#openai_key}`: a KV v2 API path (mount, `data/`, secret path) and a field. */
export const vaultReferencePattern = /\$\{vault:([A-Za-z0-9_./-]+)#([A-Za-z0-9_.-]+)\}/g;

export interface VaultReference {
  /** The API path under /v1, e.g. `secret/data/switchyard`. */
  readonly path: string;
  readonly field: string;
}

/** `path#field` → value, as fetched. */
export type VaultValues = ReadonlyMap<string, string>;

export function vaultReferenceKey(reference: VaultReference): string {
  return `${reference.path}#${reference.field}`;
}

/** Every distinct Vault reference in these texts. */
export function findVaultReferences(texts: Iterable<string | undefined>): VaultReference[] {
  const found = new Map<string, VaultReference>();
  for (const text of texts) {
    if (!text) continue;
    for (const match of text.matchAll(vaultReferencePattern)) {
      const reference = { path: match[1] as string, field: match[2] as string };
      found.set(vaultReferenceKey(reference), reference);
    }
  }
  return [...found.values()];
}

/** Replaces the Vault references in a text with their fetched values; `substituted` collects those values. */
export function interpolateVault(
  text: string,
  values: VaultValues | undefined,
  source: string,
  substituted?: string[],
): string {
  return text.replace(vaultReferencePattern, (_match, path: string, field: string) => {
    const value = values?.get(`${path}#${field}`);
    if (value === undefined) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: Vault reference ${path}#${field} was not resolved (is VAULT_ADDR set?)`,
      );
    }
    substituted?.push(value);
    return value;
  });
}

/** How Switchyard reaches Vault or OpenBao: `VAULT_ADDR` and a token or an AppRole. */
export interface VaultSettings {
  readonly address: string;
  readonly token: string | null;
  readonly roleId: string | null;
  readonly secretId: string | null;
  /** Where the AppRole auth method is mounted; default `approle`. */
  readonly authMount: string;
  /** Vault Enterprise / OpenBao namespaces. */
  readonly namespace: string | null;
  /** How often referenced secrets are read again, so a rotated value arrives without a restart. */
  readonly refreshMs: number;
  readonly timeoutMs: number;
}

/** Reads the Vault settings from the (file-expanded) environment; null without VAULT_ADDR. */
export function vaultSettings(variables: EnvironmentVariables): VaultSettings | null {
  const address = variables.VAULT_ADDR;
  if (!address) return null;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'VAULT_ADDR is not a URL (e.g. https://vault.example.com:8200)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'VAULT_ADDR must be http(s)');
  }
  const token = variables.VAULT_TOKEN || null;
  const roleId = variables.VAULT_ROLE_ID || null;
  const secretId = variables.VAULT_SECRET_ID || null;
  if (!token && !roleId) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      'VAULT_ADDR is set: set VAULT_TOKEN (token auth) or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole auth)',
    );
  }
  const refreshSeconds = Number(variables.VAULT_REFRESH_SECONDS || 300);
  if (!Number.isInteger(refreshSeconds) || refreshSeconds < 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'VAULT_REFRESH_SECONDS must be a non-negative integer (0: never)');
  }
  return {
    address: url.href.replace(/\/+$/, ''),
    token,
    roleId,
    secretId,
    authMount: (variables.VAULT_AUTH_MOUNT || 'approle').replace(/^\/+|\/+$/g, ''),
    namespace: variables.VAULT_NAMESPACE || null,
    refreshMs: refreshSeconds * 1000,
    timeoutMs: 10_000,
  };
}

export interface VaultClient {
  /** The fields of the latest version of a KV v2 secret. */
  readSecret(path: string): Promise<Record<string, string>>;
  /** Every referenced value, fetching each secret once. */
  resolve(references: readonly VaultReference[]): Promise<Map<string, string>>;
}

/** Thrown when Vault cannot be reached or refuses: never carries a token or a value. */
function vaultError(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', `Vault: ${message}`);
}

/**
 * A small client of the Vault / OpenBao HTTP API: KV v2 reads (`GET /v1/<mount>/data/<path>`, answered
 * as `{data: {data: {...}, metadata: {...}}}`) with `X-Vault-Token`, and AppRole login
 * (`POST /v1/auth/<mount>/login` with `{role_id, secret_id}`, answered with `auth.client_token`).
 * An AppRole token is fetched on first use and again when Vault answers 403 (expired or revoked).
 */
export function createVaultClient(settings: VaultSettings, fetchImpl: typeof fetch = fetch): VaultClient {
  let token = settings.token;
  const headers = (): Record<string, string> => ({
    ...(token ? { 'x-vault-token': token } : {}),
    ...(settings.namespace ? { 'x-vault-namespace': settings.namespace } : {}),
  });
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      return await fetchImpl(`${settings.address}/v1/${path}`, {
        method,
        headers: { ...headers(), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (error) {
      throw vaultError(
        `cannot reach ${settings.address} (${(error as Error).name === 'TimeoutError' ? 'timed out' : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message)})`,
      );
    }
  };
  const login = async (): Promise<void> => {
    if (!settings.roleId) return;
    const response = await call('POST', `auth/${settings.authMount}/login`, {
      role_id: settings.roleId,
      ...(settings.secretId ? { secret_id: settings.secretId } : {}),
    });
    if (!response.ok) {
      throw vaultError(`AppRole login at auth/${settings.authMount}/login was refused (HTTP ${response.status})`);
    }
    const answer = (await response.json()) as { auth?: { client_token?: string } };
    if (!answer.auth?.client_token) throw vaultError('AppRole login answered without a client token');
    token = answer.auth.client_token;
  };
  const readSecret = async (path: string): Promise<Record<string, string>> => {
    if (!token) await login();
    let response = await call('GET', path);
    if (response.status === 403 && settings.roleId) {
      await login();
      response = await call('GET', path);
    }
    if (response.status === 404)
      throw vaultError(`no secret at ${path} (a KV v2 path includes data/, e.g. secret/data/switchyard)`);
    if (response.status === 403)
      throw vaultError(`permission denied reading ${path} (check the token's or role's policy)`);
    if (!response.ok) throw vaultError(`reading ${path} answered HTTP ${response.status}`);
    const answer = (await response.json()) as { data?: { data?: Record<string, unknown> } };
    const data = answer.data?.data;
    if (!data || typeof data !== 'object') {
      throw vaultError(`${path} is not a KV v2 secret (no data.data; the path must include data/)`);
    }
    return Object.fromEntries(
      Object.entries(data).map(([field, value]) => [field, typeof value === 'string' ? value : JSON.stringify(value)]),
    );
  };
  return {
    readSecret,
    async resolve(references) {
      const secrets = new Map<string, Record<string, string>>();
      const values = new Map<string, string>();
      for (const reference of references) {
        let secret = secrets.get(reference.path);
        if (!secret) {
          secret = await readSecret(reference.path);
          secrets.set(reference.path, secret);
        }
        const value = secret[reference.field];
        if (value === undefined) throw vaultError(`${reference.path} has no field '${reference.field}'`);
        values.set(vaultReferenceKey(reference), value);
      }
      return values;
    },
  };
}
