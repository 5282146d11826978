import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type SecretScrubber, type SwitchyardConfig, scrubberFor } from '@switchyard/core';
import { probePostgresUrl } from '@switchyard/db';
import { createProvider } from '@switchyard/providers';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { readLock } from '../infrastructure/data-dir-lock';
import { closeObjectStore, openObjectStore } from '../infrastructure/object-store';

export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was found (ok) or what is wrong. */
  readonly detail: string;
  /** How to fix it, when not ok. */
  readonly fix?: string;
}

const timeoutMs = 5000;

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message || (code ?? 'failed');
}

/** A TCP connection and the AMQP 0-9-1 protocol header; a broker answers with a Connection.Start frame. */
function probeAmqp(url: string): Promise<void> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'amqps:' ? 5671 : 5672));
  if (parsed.protocol === 'amqps:') return probeTcp(parsed.hostname, port);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port, timeout: timeoutMs });
    socket.once('connect', () => socket.write(Buffer.from([65, 77, 81, 80, 0, 0, 9, 1])));
    socket.once('data', (data) => {
      socket.destroy();
      // Frame type 1 (method): Connection.Start. Anything else is not an AMQP 0-9-1 broker.
      if (data[0] === 1) resolve();
      else reject(new Error('answered, but not as an AMQP 0-9-1 broker'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('timed out'));
    });
    socket.once('error', reject);
  });
}

function probeTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('timed out'));
    });
    socket.once('error', reject);
  });
}

async function probeRedis(url: string): Promise<string> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/** The major version in `pg_dump (PostgreSQL) 16.6 (Debian …)` or `15.20 (Debian …)`; null when there is none. */
export function postgresMajor(version: string): number | null {
  const match = /^(\d+)(?:\.\d+)*(?:\s|$)/.exec(version.replace(/^pg_dump \(PostgreSQL\)/, '').trim());
  return match?.[1] ? Number(match[1]) : null;
}

/**
 * pg_dump's version, compared with the servers' majors: pg_dump refuses to dump a server of a newer
 * major, so an older one fails the check (a newer one can dump older servers).
 */
async function probePgDump(pgBinDir: string | null, serverVersions: readonly Promise<string>[]): Promise<string> {
  const binary = pgBinDir ? join(pgBinDir, 'pg_dump') : 'pg_dump';
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: timeoutMs });
  if (result.error || result.status !== 0) throw new Error(`${binary} is not available`);
  const version = result.stdout.trim();
  const major = postgresMajor(version);
  const servers = (await Promise.allSettled(serverVersions))
    .map((settled) => (settled.status === 'fulfilled' ? postgresMajor(settled.value) : null))
    .filter((value): value is number => value !== null);
  const newest = servers.length > 0 ? Math.max(...servers) : null;
  if (major !== null && newest !== null && major < newest) {
    throw new Error(`${version} cannot dump the PostgreSQL ${newest} server (pg_dump must be of its major or newer)`);
  }
  return newest === null ? version : `${version}; servers: PostgreSQL ${[...new Set(servers)].join(', ')}`;
}

async function check(
  name: string,
  probe: () => Promise<string>,
  fix: string,
  secrets: SecretScrubber,
): Promise<DoctorCheck> {
  try {
    return { name, ok: true, detail: await probe() };
  } catch (error) {
    return { name, ok: false, detail: secrets.scrub(reason(error)), fix };
  }
}

/**
 * Everything a running Switchyard needs, tried once: the databases (PostgreSQL reachable, or the data
 * dir writable), Redis, object storage, the events broker, each configured provider, and (server mode)
 * the pg_dump that backups use. Never prints a secret: messages go through the config's scrubber.
 */
export async function runDoctor(config: SwitchyardConfig): Promise<DoctorCheck[]> {
  const secrets = scrubberFor(config);
  const checks: Promise<DoctorCheck>[] = [];
  if (config.databaseUrl && config.devDatabaseUrl) {
    const serverVersions: Promise<string>[] = [];
    for (const [name, url, variable] of [
      ['database (prod)', config.databaseUrl, 'DATABASE_URL'],
      ['database (dev)', config.devDatabaseUrl, 'DEV_DATABASE_URL'],
    ] as const) {
      const probed = probePostgresUrl(url, timeoutMs);
      serverVersions.push(probed);
      checks.push(
        check(
          name,
          async () => `PostgreSQL ${await probed}`,
          `check ${variable} (host, port, user, password, database name) and that PostgreSQL runs and accepts connections from here`,
          secrets,
        ),
      );
    }
    checks.push(
      check(
        'backup tools',
        () => probePgDump(config.backup.pgBinDir, serverVersions),
        'install the PostgreSQL client tools of the server major version (the Docker image has them; apt-get install postgresql-client-16 from apt.postgresql.org) or set PG_BIN_DIR; switchyard backup needs pg_dump and pg_restore',
        secrets,
      ),
    );
  } else {
    checks.push(
      check(
        'data dir',
        async () => {
          if (!existsSync(config.dataDir)) mkdirSync(config.dataDir, { recursive: true });
          accessSync(config.dataDir, constants.W_OK);
          const holder = readLock(config.dataDir);
          return `${config.dataDir} (embedded PGlite${holder ? `; in use by ${holder.role} pid ${holder.pid}` : ''})`;
        },
        'make SWITCHYARD_DATA_DIR a directory this user can write',
        secrets,
      ),
    );
  }
  if (config.redisUrl) {
    const url = config.redisUrl;
    checks.push(
      check('redis', async () => `Redis ${await probeRedis(url)}`, 'check REDIS_URL and that Redis runs', secrets),
    );
  }
  if (config.eventsUrl) {
    const url = config.eventsUrl;
    checks.push(
      check(
        'events broker',
        async () => {
          if (url.startsWith('amqp')) {
            await probeAmqp(url);
            return 'RabbitMQ (AMQP 0-9-1) answers';
          }
          return `Redis ${await probeRedis(url)}`;
        },
        'check EVENTS_URL and that the broker runs (or unset it to keep events in the database)',
        secrets,
      ),
    );
  }
  checks.push(
    check(
      'object storage',
      async () => {
        const storage = await openObjectStore(config, pino({ level: 'silent' }));
        try {
          await storage.ping();
        } finally {
          closeObjectStore(storage);
        }
        return config.storage.kind === 's3' ? `S3 bucket ${config.storage.bucket}` : `directory ${config.storage.root}`;
      },
      config.storage.kind === 's3'
        ? 'check S3_ENDPOINT, S3_BUCKET, S3_REGION and the access key; the bucket must exist or the key must be allowed to create it'
        : 'make the objects directory under the data dir writable',
      secrets,
    ),
  );
  for (const provider of config.providers) {
    if (provider.type === 'echo') continue;
    checks.push(
      check(
        `provider ${provider.id}`,
        async () => {
          const apiKey = provider.apiKey ?? provider.apiKeys?.[0];
          const adapter = createProvider({
            id: provider.id,
            type: provider.type,
            baseURL: provider.baseURL ?? '',
            ...(apiKey ? { apiKey } : {}),
            ...(provider.headers ? { headers: provider.headers } : {}),
            ...(provider.proxy ? { proxy: provider.proxy } : {}),
          });
          try {
            const models = await adapter.listModels({ signal: AbortSignal.timeout(timeoutMs) });
            return `${provider.type} at ${provider.baseURL ?? 'its default endpoint'}: ${models.length} models`;
          } finally {
            await adapter.close();
          }
        },
        `check providers[${provider.id}]: baseURL, the API key (a 401 means a wrong key) and that the server is reachable from here`,
        secrets,
      ),
    );
  }
  return Promise.all(checks);
}

/** The report as printed: one line per check, the fix under each failed one. */
export function formatDoctorReport(checks: readonly DoctorCheck[]): string {
  const lines = checks.flatMap((item) =>
    item.ok
      ? [`ok    ${item.name}: ${item.detail}`]
      : [`FAIL  ${item.name}: ${item.detail}`, ...(item.fix ? [`      fix: ${item.fix}`] : [])],
  );
  const failed = checks.filter((item) => !item.ok).length;
  lines.push(failed === 0 ? 'All checks passed.' : `${failed} of ${checks.length} checks failed.`);
  return `${lines.join('\n')}\n`;
}

/** The effective configuration with every secret value replaced by [redacted] (`switchyard config check`). */
export function maskedConfig(config: SwitchyardConfig): string {
  const secrets = scrubberFor(config);
  return secrets.scrub(JSON.stringify(config, null, 2));
}
