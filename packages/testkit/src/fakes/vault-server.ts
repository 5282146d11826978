import { randomUUID } from 'node:crypto';
import { type FakeExchange, type FakeUpstreamServer, startFakeHttpServer } from './fake-http-server';

export interface FakeVaultOptions {
  /** Tokens accepted as `X-Vault-Token` (a root token, say). */
  tokens?: readonly string[];
  /** AppRole credentials of the `approle` auth mount: role id → secret id. */
  appRoles?: Readonly<Record<string, string>>;
  /** KV v2 secrets by mount (`secret`) and path (`switchyard`): fields. */
  secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** KV v2 mounts; default `['secret']`. */
  mounts?: readonly string[];
}

export interface FakeVaultServer extends FakeUpstreamServer {
  /** Writes a new version of a KV v2 secret (`secret/switchyard`, without `data/`). */
  writeSecret(mountAndPath: string, fields: Record<string, string>): void;
  /** Revokes every token AppRole login handed out (as their TTL running out would). */
  expireLoginTokens(): void;
  /** Tokens handed out by AppRole logins so far. */
  readonly loginCount: number;
}

function json(exchange: FakeExchange, status: number, body: unknown): void {
  exchange.response.writeHead(status, { 'content-type': 'application/json' });
  exchange.response.end(JSON.stringify(body));
}

/**
 * Vault / OpenBao, the parts Switchyard speaks: KV v2 reads (`GET /v1/<mount>/data/<path>` with
 * `X-Vault-Token`, answered `{data: {data, metadata: {version, created_time, …}}}`) and AppRole login
 * (`POST /v1/auth/approle/login` with `{role_id, secret_id}`, answered `{auth: {client_token,
 * lease_duration, renewable, policies}}`). A missing or unknown token is 403 `{"errors":["permission
 * denied"]}`, as Vault answers; a missing secret 404 `{"errors":[]}`.
 */
export async function startFakeVault(options: FakeVaultOptions = {}): Promise<FakeVaultServer> {
  const tokens = new Set(options.tokens ?? []);
  const loginTokens = new Set<string>();
  const mounts = new Set(options.mounts ?? ['secret']);
  const versions = new Map<string, Array<{ fields: Record<string, string>; created: string }>>();
  let loginCount = 0;
  const writeSecret = (mountAndPath: string, fields: Record<string, string>) => {
    const list = versions.get(mountAndPath) ?? [];
    list.push({ fields: { ...fields }, created: new Date().toISOString() });
    versions.set(mountAndPath, list);
  };
  for (const [path, fields] of Object.entries(options.secrets ?? {})) writeSecret(path, fields);

  const server = await startFakeHttpServer(
    (exchange) => {
      const { method, path: rawPath, headers } = exchange.record;
      const path = new URL(rawPath, 'http://fake').pathname;
      if (!path.startsWith('/v1/')) return json(exchange, 404, { errors: [] });
      const apiPath = path.slice('/v1/'.length);
      if (method === 'POST' && apiPath === 'auth/approle/login') {
        const body = (exchange.record.body ?? {}) as { role_id?: unknown; secret_id?: unknown };
        const expected = typeof body.role_id === 'string' ? options.appRoles?.[body.role_id] : undefined;
        if (expected === undefined || body.secret_id !== expected) {
          return json(exchange, 400, { errors: ['invalid role or secret ID'] });
        }
        const token = `hvs.${randomUUID().replaceAll('-', '')}`;
        loginTokens.add(token);
        loginCount += 1;
        return json(exchange, 200, {
          request_id: randomUUID(),
          lease_id: '',
          renewable: false,
          lease_duration: 0,
          data: null,
          auth: {
            client_token: token,
            accessor: randomUUID(),
            policies: ['default', 'switchyard'],
            token_policies: ['default', 'switchyard'],
            lease_duration: 1200,
            renewable: true,
          },
        });
      }
      const token = headers['x-vault-token'];
      if (typeof token !== 'string' || !(tokens.has(token) || loginTokens.has(token))) {
        return json(exchange, 403, { errors: ['permission denied'] });
      }
      const [mount, kind, ...rest] = apiPath.split('/');
      if (method !== 'GET' || !mount || !mounts.has(mount) || kind !== 'data' || rest.length === 0) {
        return json(exchange, 404, { errors: [] });
      }
      const list = versions.get(`${mount}/${rest.join('/')}`);
      const latest = list?.at(-1);
      if (!list || !latest) return json(exchange, 404, { errors: [] });
      return json(exchange, 200, {
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: {
          data: latest.fields,
          metadata: {
            created_time: latest.created,
            custom_metadata: null,
            deletion_time: '',
            destroyed: false,
            version: list.length,
          },
        },
      });
    },
    (exchange, behaviour) => json(exchange, behaviour.status, behaviour.body ?? { errors: ['internal error'] }),
  );
  const vault = Object.assign(server, { writeSecret, expireLoginTokens: () => loginTokens.clear() });
  return Object.defineProperty(vault, 'loginCount', { get: () => loginCount }) as FakeVaultServer;
}
