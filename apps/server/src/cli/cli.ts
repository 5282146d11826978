import cluster from 'node:cluster';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Environment,
  isEnvironment,
  isSwitchyardError,
  type KeyScope,
  loadConfig,
  parseKeyScopes,
  type SwitchyardConfig,
} from '@switchyard/core';
import { acquireDataDirLock, readLock } from '../infrastructure/data-dir-lock';
import { changeChannel, closeDatabases, isServerMode, openDatabases } from '../infrastructure/databases';
import { createConfiguredLogger } from '../infrastructure/logger';
import type { KeyAdministration, PublicKey } from '../keys/key-service';
import { parseWorkerCount, runClustered } from '../operations/cluster';
import { version } from '../version';

// Everything heavy (Fastify, the providers, better-auth, PGlite, pg, BullMQ) is imported by the
// command that needs it: `keys` through a running server's socket, `--help` or the primary of
// `api --workers N` load almost nothing.
const usage = `switchyard ${version} — self-hosted AI gateway

Usage:
  switchyard start                      all roles in one process (what npm start runs)
  switchyard api [--workers N|auto]     the API role only (server mode); N processes share the port
  switchyard worker [--services a,b]    job processors and event consumers only (server mode); --services:
                                        gift-finder services to run (interview,profile,ideas,fetch,rerank; default all)
  switchyard migrate                    apply database migrations to prod and dev
  switchyard keys create --env prod|dev --name NAME [--admin] [--scopes chat,images,messages]
                                        create an API key; prints the key alone on stdout
  switchyard admin create --email EMAIL --password PASSWORD [--name NAME]
                                        create an admin account (the first one, usually);
                                        prints its user id on stdout
  switchyard keys list [--all] [--json] list keys (--all includes revoked ones)
  switchyard keys revoke ID             revoke a key at once, on every process

Environment: PORT (8080), HOST (127.0.0.1), SWITCHYARD_DATA_DIR (./data), SWITCHYARD_CONFIG
(./switchyard.config.yaml), DATABASE_URL + DEV_DATABASE_URL (server mode), REDIS_URL, AUTH_SECRET,
PUBLIC_URL, SMTP_URL, LOG_LEVEL.`;

class UsageError extends Error {}

/** The key-change counter in Redis, for a CLI that changes keys in server mode. */
async function connectCliRedis(url: string) {
  const [{ connectRedis }, { createRedisChangeCounter }, { keyChangeCounterKey }] = await Promise.all([
    import('../infrastructure/redis-client'),
    import('@switchyard/redis'),
    import('../keys/key-store'),
  ]);
  const client = await connectRedis(url, { warn: () => {} });
  return { client, counter: createRedisChangeCounter(client, keyChangeCounterKey) };
}

/** Exactly one way to reach key management: the running server's socket, or the database directly. */
async function withKeyService<T>(
  config: SwitchyardConfig,
  action: (service: KeyAdministration) => Promise<T>,
): Promise<T> {
  if (isServerMode(config)) {
    const [{ createKeyRepository, openDatabase }, { createKeyService }] = await Promise.all([
      import('@switchyard/db'),
      import('../keys/key-service'),
    ]);
    // PostgreSQL serves many processes; write directly, bump the shared change counter (with Redis,
    // every server sees the change on its next request) and NOTIFY every running server.
    const prod = await openDatabase({ kind: 'postgres', url: config.databaseUrl ?? '' });
    const redis = config.redisUrl ? await connectCliRedis(config.redisUrl) : null;
    try {
      return await action(
        createKeyService(createKeyRepository(prod.db), async () => {
          if (redis) await redis.counter.bump();
          await prod.notify(changeChannel, 'keys');
        }),
      );
    } finally {
      redis?.client.disconnect();
      await prod.close();
    }
  }
  const holder = readLock(config.dataDir);
  if (holder?.role === 'server' && holder.socketPath) return action(socketKeyService(holder.socketPath));
  const lock = acquireDataDirLock(config.dataDir, { role: 'cli', socketPath: null });
  try {
    const [{ createKeyRepository, openDatabase }, { createKeyService }] = await Promise.all([
      import('@switchyard/db'),
      import('../keys/key-service'),
    ]);
    const prod = await openDatabase({ kind: 'pglite', dataDir: join(config.dataDir, 'prod') });
    try {
      return await action(createKeyService(createKeyRepository(prod.db), async () => {}));
    } finally {
      await prod.close();
    }
  } finally {
    lock.release();
  }
}

function callSocket<T>(socketPath: string, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = httpRequest(
      {
        socketPath,
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (piece: string) => {
          text += piece;
        });
        incoming.on('end', () => {
          const parsed = text ? JSON.parse(text) : {};
          if ((incoming.statusCode ?? 500) >= 400) {
            reject(new Error(parsed?.error?.message ?? `server answered ${incoming.statusCode}`));
          } else {
            resolve(parsed as T);
          }
        });
      },
    );
    outgoing.on('error', (error) =>
      reject(new Error(`Cannot reach the running Switchyard server at ${socketPath}: ${error.message}`)),
    );
    outgoing.end(payload);
  });
}

function socketKeyService(socketPath: string): KeyAdministration {
  return {
    create: (input) => callSocket(socketPath, 'POST', '/keys', input),
    list: async (options) =>
      (
        await callSocket<{ keys: PublicKey[] }>(
          socketPath,
          'GET',
          `/keys?includeRevoked=${options?.includeRevoked === true}`,
        )
      ).keys,
    revoke: (id) => callSocket(socketPath, 'POST', `/keys/${encodeURIComponent(id)}/revoke`),
  };
}

async function runServer(config: SwitchyardConfig, role: 'all' | 'api'): Promise<void> {
  const logger = createConfiguredLogger(config);
  const { startServer } = await import('../composition/server');
  const server = await startServer(config, logger, role);
  if (cluster.isWorker)
    (await import('../operations/cluster-metrics')).useClusterMetrics(server.parts.metrics.registry);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing usage logs');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Job processors without the HTTP API (server mode: PGlite cannot be shared with an API process). */
async function runWorker(config: SwitchyardConfig, args: string[]): Promise<void> {
  if (!isServerMode(config)) {
    throw new UsageError(
      'worker needs server mode (DATABASE_URL and DEV_DATABASE_URL); switchyard start runs the workers in-process',
    );
  }
  const { values } = parseArgs({ args, options: { services: { type: 'string' } } });
  const { parseGiftServices } = await import('../gift-finder/gift-finder-services');
  let giftServices: ReturnType<typeof parseGiftServices>;
  try {
    giftServices = parseGiftServices(values.services);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const logger = createConfiguredLogger(config);
  const { createServerParts } = await import('../composition/server-parts');
  const parts = await createServerParts(config, logger, 'worker', { giftServices });
  logger.info({ backend: parts.jobs.backend, workerId: parts.jobs.workerId }, 'Switchyard worker running');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: finishing or returning active jobs');
    parts.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function migrate(config: SwitchyardConfig): Promise<void> {
  if (!isServerMode(config)) {
    const holder = readLock(config.dataDir);
    if (holder?.role === 'server') {
      process.stderr.write(
        `A running server (pid ${holder.pid}) holds ${config.dataDir}; it applied all migrations at start.\n`,
      );
      return;
    }
  }
  const lock = isServerMode(config) ? null : acquireDataDirLock(config.dataDir, { role: 'cli', socketPath: null });
  try {
    const databases = await openDatabases(config, { eager: true });
    try {
      // Server mode: a role per gift-finder service with rights on its own schema only (docs/gift-finder.md).
      if (isServerMode(config)) {
        const { provisionGiftServiceRoles } = await import('@switchyard/db');
        for (const database of [databases.prod, databases.dev]) await provisionGiftServiceRoles(database.db);
      }
    } finally {
      await closeDatabases(databases);
    }
    process.stderr.write(
      `Migrations applied to prod and dev (${isServerMode(config) ? 'PostgreSQL' : config.dataDir}).\n`,
    );
  } finally {
    lock?.release();
  }
}

function printKeys(keys: PublicKey[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    return;
  }
  if (keys.length === 0) {
    process.stderr.write('No API keys yet. Create one with: switchyard keys create --env dev --name demo\n');
    return;
  }
  const rows = keys.map((key) => [
    key.id,
    key.environment,
    key.prefix,
    key.name,
    key.admin ? 'admin' : '',
    key.revokedAt ? 'revoked' : 'active',
    key.createdAt,
  ]);
  const header = ['ID', 'ENV', 'PREFIX', 'NAME', 'ROLE', 'STATE', 'CREATED'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[format(header), ...rows.map(format)].join('\n')}\n`);
}

async function keysCommand(config: SwitchyardConfig, args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      scopes: { type: 'string' },
    },
  });
  switch (subcommand) {
    case 'create': {
      if (!isEnvironment(values.env)) throw new UsageError('keys create needs --env prod or --env dev');
      if (!values.name) throw new UsageError('keys create needs --name NAME');
      const environment: Environment = values.env;
      const name = values.name;
      let scopes: KeyScope[] | undefined;
      if (values.scopes !== undefined) {
        try {
          scopes = parseKeyScopes(values.scopes);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const created = await withKeyService(config, (service) =>
        service.create({ name, environment, admin: values.admin === true, ...(scopes ? { scopes } : {}) }),
      );
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(
        `Created ${created.record.environment} key '${created.record.name}' (id ${created.record.id}${created.record.admin ? ', admin' : ''}; scopes ${created.record.scopes.join(', ')}). ` +
          'Store it now: it is not shown again.\n',
      );
      return;
    }
    case 'list': {
      const keys = await withKeyService(config, (service) => service.list({ includeRevoked: values.all === true }));
      printKeys(keys, values.json === true);
      return;
    }
    case 'revoke': {
      const id = positionals[0];
      if (!id) throw new UsageError('keys revoke needs the key id (see switchyard keys list)');
      const revoked = await withKeyService(config, (service) => service.revoke(id));
      process.stderr.write(`Revoked key '${revoked.name}' (${revoked.prefix}…).\n`);
      return;
    }
    default:
      throw new UsageError(`unknown keys command '${subcommand ?? ''}'`);
  }
}

async function adminCommand(config: SwitchyardConfig, args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
  });
  if (subcommand !== 'create') throw new UsageError(`unknown admin command '${subcommand ?? ''}'`);
  if (!values.email) throw new UsageError('admin create needs --email EMAIL');
  if (!values.password) throw new UsageError('admin create needs --password PASSWORD');
  const { createAdmin } = await import('../accounts/create-admin');
  const user = await createAdmin(
    config,
    { email: values.email, password: values.password, ...(values.name ? { name: values.name } : {}) },
    callSocket,
  );
  process.stdout.write(`${user.id}\n`);
  process.stderr.write(`Created admin ${user.email} (id ${user.id}). Sign in at /api/auth/sign-in/email.\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${version}\n`);
    return;
  }
  const config = loadConfig(process.env);
  switch (command) {
    case 'start':
      return runServer(config, 'all');
    case 'api': {
      const { values } = parseArgs({ args: rest, options: { workers: { type: 'string' } } });
      let workers: number;
      try {
        workers = parseWorkerCount(values.workers);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (workers === 1) return runServer(config, 'api');
      if (!isServerMode(config)) {
        throw new UsageError(
          '--workers needs server mode (DATABASE_URL and DEV_DATABASE_URL): PGlite is single-process',
        );
      }
      return runClustered(workers, createConfiguredLogger(config), () => runServer(config, 'api'));
    }
    case 'worker':
      return runWorker(config, rest);
    case 'migrate':
      return migrate(config);
    case 'keys':
      return keysCommand(config, rest);
    case 'admin':
      return adminCommand(config, rest);
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`switchyard: ${error.message}\n\n${usage}\n`);
    process.exit(2);
  }
  const message = isSwitchyardError(error) || error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchyard: ${message}\n`);
  process.exit(1);
});
