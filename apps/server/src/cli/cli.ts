import cluster from 'node:cluster';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type Environment,
  isEnvironment,
  isSwitchyardError,
  type KeyScope,
  loadConfigWithSecrets,
  parseKeyScopes,
  type SwitchyardConfig,
} from '@switchyard/core';
import { preloadPglite } from '@switchyard/db/pglite-artifacts';
import { acquireDataDirLock, readLock } from '../infrastructure/data-dir-lock';
import { changeChannel, closeDatabases, isServerMode, openDatabases } from '../infrastructure/databases';
import { createConfiguredLogger } from '../infrastructure/logger';
import type { KeyAdministration, PublicKey } from '../keys/key-service';
import { parseWorkerCount, runClustered } from '../operations/cluster';
import { version } from '../version';

// Everything heavy (Fastify, the providers, better-auth, PGlite, pg, BullMQ) is imported by the
// command that needs it: `keys` through a running server's socket, `--help` or the primary of
// `api --workers N` load almost nothing.
const commonFlags = `  --port N           listen port (PORT; default 8080)
  --host ADDRESS     listen address (HOST; default 127.0.0.1)
  --config FILE      the YAML config file (SWITCHYARD_CONFIG; default ./switchyard.config.yaml)
  --data-dir DIR     embedded databases, lock and admin socket (SWITCHYARD_DATA_DIR; default ./data)`;

const environmentNote = `Environment: PORT, HOST, SWITCHYARD_DATA_DIR, SWITCHYARD_CONFIG, DATABASE_URL + DEV_DATABASE_URL (server
mode), REDIS_URL, EVENTS_URL, AUTH_SECRET, PUBLIC_URL, SMTP_URL, CORS_ORIGINS, LOG_LEVEL (see the README).`;

/** Each command's help: `switchyard <command> --help` prints it and does nothing else. */
const commandHelp: Record<string, string> = {
  start: `Usage: switchyard start [options]

Runs every role (API, job workers, event handlers) in one process: what npm start runs. Without
DATABASE_URL it uses the embedded databases in the data dir; no other service is needed.

Options:
${commonFlags}`,
  api: `Usage: switchyard api [--workers N|auto] [options]

Runs the HTTP API role only (server mode: PostgreSQL, and Redis to share limits). With --workers, N
processes share the port (auto: one per core).

Options:
  --workers N|auto   API processes (default 1)
${commonFlags}`,
  worker: `Usage: switchyard worker [--services a,b] [options]

Runs job processors and event handlers without the HTTP API (server mode only: PGlite is single-process;
switchyard start runs them in-process).

Options:
  --services LIST    the gift-finder services to run: interview,profile,ideas,fetch,rerank (default all)
${commonFlags}`,
  migrate: `Usage: switchyard migrate [options]

Applies database migrations to prod and dev (PostgreSQL in server mode, else the embedded databases; a
running embedded server applied them at start already).

Options:
${commonFlags}`,
  keys: `Usage:
  switchyard keys create --env prod|dev --name NAME [--admin] [--scopes chat,images,messages,apps]
                         create an API key; prints the key alone on stdout (shown once)
  switchyard keys list [--all] [--json]
                         list keys (--all includes revoked ones); never prints a full key
  switchyard keys revoke ID
                         revoke a key at once, on every process

Talks to the running embedded server through its admin socket, or to the database directly.

Options: --config FILE, --data-dir DIR (as for start)`,
  admin: `Usage: switchyard admin create --email EMAIL [--name NAME] [--password-stdin]

Creates an admin account (the first one, usually) and prints its user id on stdout. The password is
asked for at a prompt (typed twice, not shown), or read from stdin with --password-stdin or when stdin is
not a terminal:   printf '%s' "$PASSWORD" | switchyard admin create --email you@example.com
(--password PASSWORD still works but leaves the password in shell history and the process list.)

Options: --config FILE, --data-dir DIR (as for start)`,
  models: `Usage: switchyard models list [--env prod|dev] [--json]

Lists the models an environment offers (default prod) with their kind (chat, embedding, image,
transcription, speech): from the running embedded server (with autodetected Ollama models and the
run-time switches), otherwise from the config file.

Options: --config FILE, --data-dir DIR (as for start)`,
  backup: `Usage: switchyard backup [--output FILE] [options]

Writes one archive (.tar.gz) with both databases (PGlite dumps, or pg_dump in server mode), every stored
object (disk or S3) and a manifest (version, schema level, SHA-256 of each file). Default: a timestamped
file in BACKUP_DIR (default <data dir>/backups), after which old backups are pruned (BACKUP_KEEP_DAILY=7,
BACKUP_KEEP_WEEKLY=4, BACKUP_KEEP_MONTHLY=6). A running embedded server takes the backup itself.
Server mode needs pg_dump of the server's major version on the PATH (or PG_BIN_DIR).

Options:
  --output FILE      write this archive instead (no pruning)
  --config FILE, --data-dir DIR (as for start)`,
  restore: `Usage: switchyard restore FILE --yes [options]

Replaces both databases and the object store with a backup, after checking every checksum; refuses a
backup from a newer schema or of the other mode. Stop every Switchyard process first (embedded: the data
dir lock is checked; server mode: stop api and worker). --verify only checks the archive.

Options:
  --yes              really replace the current data
  --verify           check the archive (checksums, format, schema level) and change nothing
  --config FILE, --data-dir DIR (as for start)`,
  doctor: `Usage: switchyard doctor [options]

Checks the configuration, then reaches each dependency: the databases (PostgreSQL, or the data dir),
Redis, object storage (S3 or disk), the events broker, every configured provider, and pg_dump in server
mode. Prints what is wrong and how to fix it; exits 1 when a check fails. No secret is printed.

Options: --config FILE, --data-dir DIR (as for start)`,
  config: `Usage: switchyard config check [--show] [options]

Validates the configuration (environment, NAME_FILE secrets, Vault references, the YAML file) and exits 1
with the reason when it is invalid. --show prints the effective configuration with every secret masked.

Options: --config FILE, --data-dir DIR (as for start)`,
};

const usage = `switchyard ${version} — self-hosted AI platform

Usage: switchyard <command> [options]

Commands:
  start              all roles in one process (what npm start runs)
  api                the API role only (server mode); --workers N processes share the port
  worker             job processors and event handlers only (server mode)
  migrate            apply database migrations to prod and dev
  keys               create, list and revoke API keys
  admin create       create an admin account
  models list        the models an environment offers, with their kind
  backup             back up both databases and the object store into one archive
  restore            restore a backup (checks checksums and schema level first)
  doctor             check the configuration and reach every dependency and provider
  config check       validate the configuration (--show prints it, secrets masked)

Run 'switchyard <command> --help' for a command's options; 'switchyard --version' for the version.

${environmentNote}`;

class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help the message points to. */
    readonly command?: string,
  ) {
    super(message);
  }
}

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
  // Embedded: PGlite's WebAssembly compiles on V8's background threads while the server's modules load.
  if (!isServerMode(config)) preloadPglite();
  const logger = createConfiguredLogger(config);
  const { startServer } = await import('../composition/server');
  // Embedded mode's dev database stays closed until a dev request uses it (see /ready's `state`).
  const server = await startServer(config, logger, role);
  if (cluster.isWorker)
    (await import('../operations/cluster-metrics')).useClusterMetrics(server.parts.metrics.registry);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal (Ctrl-C again) skips what is left of the drain delay; in-flight requests still finish.
      logger.info({ signal }, 'shutting down: drain delay skipped');
      server.endDrainDelay();
      return;
    }
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
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Job processors without the HTTP API (server mode: PGlite cannot be shared with an API process). */
async function runWorker(config: SwitchyardConfig, services: string | undefined): Promise<void> {
  if (!isServerMode(config)) {
    throw new UsageError(
      'worker needs server mode (DATABASE_URL and DEV_DATABASE_URL); switchyard start runs the workers in-process',
      'worker',
    );
  }
  const { parseGiftServices } = await import('../gift-finder/gift-finder-services');
  let giftServices: ReturnType<typeof parseGiftServices>;
  try {
    giftServices = parseGiftServices(services);
  } catch (error) {
    throw new UsageError((error as Error).message, 'worker');
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

async function keysCommand(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values, positionals } = parseCommandArgs('keys', rest, {
    allowPositionals: true,
    options: {
      ...locationOptions,
      env: { type: 'string' },
      name: { type: 'string' },
      admin: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      scopes: { type: 'string' },
    },
  });
  const config = await loadCliConfig(values);
  switch (subcommand) {
    case 'create': {
      if (!isEnvironment(values.env)) throw new UsageError('keys create needs --env prod or --env dev', 'keys');
      if (!values.name) throw new UsageError('keys create needs --name NAME', 'keys');
      const environment: Environment = values.env;
      const name = values.name;
      let scopes: KeyScope[] | undefined;
      if (values.scopes !== undefined) {
        try {
          scopes = parseKeyScopes(values.scopes);
        } catch (error) {
          throw new UsageError((error as Error).message, 'keys');
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
      if (!id) throw new UsageError('keys revoke needs the key id (see switchyard keys list)', 'keys');
      const revoked = await withKeyService(config, (service) => service.revoke(id));
      process.stderr.write(`Revoked key '${revoked.name}' (${revoked.prefix}…).\n`);
      return;
    }
    default:
      throw new UsageError(`unknown keys command '${subcommand ?? ''}' (create, list or revoke)`, 'keys');
  }
}

async function adminCommand(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values } = parseCommandArgs('admin', rest, {
    options: {
      ...locationOptions,
      email: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      name: { type: 'string' },
    },
  });
  if (subcommand !== 'create') throw new UsageError(`unknown admin command '${subcommand ?? ''}' (create)`, 'admin');
  if (!values.email) throw new UsageError('admin create needs --email EMAIL', 'admin');
  const config = await loadCliConfig(values);
  let password: string;
  if (values.password !== undefined) {
    process.stderr.write(
      'switchyard: warning: --password leaves the password in shell history and the process list; use the prompt or --password-stdin\n',
    );
    password = values.password;
  } else if (values['password-stdin'] === true || !process.stdin.isTTY) {
    password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
    if (!password) throw new UsageError('admin create read no password on stdin', 'admin');
  } else {
    password = await promptPassword();
  }
  const { createAdmin } = await import('../accounts/create-admin');
  const user = await createAdmin(
    config,
    { email: values.email, password, ...(values.name ? { name: values.name } : {}) },
    callSocket,
  );
  process.stdout.write(`${user.id}\n`);
  process.stderr.write(`Created admin ${user.email} (id ${user.id}). Sign in at /api/auth/sign-in/email.\n`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const piece of stream) text += piece as string;
  return text;
}

/** Asks twice on the terminal without echoing what is typed. */
async function promptPassword(): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const ask = async (question: string) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const muted = prompt as unknown as { _writeToOutput: (text: string) => void };
    process.stderr.write(question);
    muted._writeToOutput = () => {};
    try {
      return await prompt.question('');
    } finally {
      prompt.close();
      process.stderr.write('\n');
    }
  };
  const first = await ask('Password: ');
  const second = await ask('Password again: ');
  if (first !== second) throw new UsageError('the two passwords differ', 'admin');
  return first;
}

interface ListedModel {
  id: string;
  kind?: string;
  owned_by: string;
}

async function modelsCommand(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values } = parseCommandArgs('models', rest, {
    options: { ...locationOptions, env: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (subcommand !== 'list') throw new UsageError(`unknown models command '${subcommand ?? ''}' (list)`, 'models');
  const environment = values.env ?? 'prod';
  if (!isEnvironment(environment)) throw new UsageError('models list takes --env prod or --env dev', 'models');
  const config = await loadCliConfig(values);
  const holder = isServerMode(config) ? null : readLock(config.dataDir);
  let models: ListedModel[];
  if (holder?.role === 'server' && holder.socketPath) {
    models = (await callSocket<{ data: ListedModel[] }>(holder.socketPath, 'GET', `/models?environment=${environment}`))
      .data;
  } else {
    process.stderr.write(
      'No embedded server is running: listing the config file (autodetected Ollama models and run-time switches are not shown).\n',
    );
    // The same catalog the server builds (the built-in echo model included), before any autodetection.
    const { createModelRegistry } = await import('@switchyard/routing');
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    models = [
      ...createModelRegistry(config, quiet)
        .list()
        .filter((model) => model.environments.includes(environment))
        .map((model) => ({ id: model.id, kind: model.kind, owned_by: model.providerId })),
      ...config.imageModels.map((model) => ({ id: model.id, kind: 'image', owned_by: model.type })),
      ...config.audioModels
        .filter((model) => (model.environments ?? ['prod', 'dev']).includes(environment))
        .map((model) => ({ id: model.id, kind: model.kind ?? 'transcription', owned_by: model.type })),
    ];
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    return;
  }
  const rows = models.map((model) => [model.id, model.kind ?? '', model.owned_by]);
  const header = ['MODEL', 'KIND', 'PROVIDER'];
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

async function backupCommand(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('backup', args, { options: { ...locationOptions, output: { type: 'string' } } });
  const config = await loadCliConfig(values);
  const { resolve } = await import('node:path');
  const output = values.output ? resolve(values.output) : undefined;
  const holder = isServerMode(config) ? null : readLock(config.dataDir);
  let result: { path: string; pruned?: readonly string[] };
  if (holder?.role === 'server' && holder.socketPath && !output) {
    result = await callSocket(holder.socketPath, 'POST', '/backups');
  } else {
    if (holder?.role === 'server') {
      throw new UsageError(
        'a running embedded server holds the data dir: back up without --output (it writes to BACKUP_DIR)',
        'backup',
      );
    }
    const lock = isServerMode(config) ? null : acquireDataDirLock(config.dataDir, { role: 'cli', socketPath: null });
    try {
      const [{ backupAndPrune }, { createBackup }, { openObjectStore, closeObjectStore }, { scrubberFor }] =
        await Promise.all([
          import('../operations/backup/backup-job'),
          import('../operations/backup/backup-service'),
          import('../infrastructure/object-store'),
          import('@switchyard/core'),
        ]);
      const logger = createConfiguredLogger(config, undefined, 'warn');
      const databases = await openDatabases(config, { eager: true });
      const storage = await openObjectStore(config, logger);
      const secrets = scrubberFor(config);
      try {
        result = output
          ? await createBackup({ config, databases, storage, secrets, output })
          : await backupAndPrune({ config, databases, storage, secrets, logger });
      } finally {
        closeObjectStore(storage);
        await closeDatabases(databases);
      }
    } finally {
      lock?.release();
    }
  }
  process.stdout.write(`${result.path}\n`);
  const pruned = result.pruned ?? [];
  process.stderr.write(
    `Backup written to ${result.path}${pruned.length > 0 ? `; pruned ${pruned.length} old backup(s)` : ''}.\n`,
  );
}

async function restoreCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('restore', args, {
    allowPositionals: true,
    options: {
      ...locationOptions,
      yes: { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
    },
  });
  const archive = positionals[0];
  if (!archive) throw new UsageError('restore needs the backup file', 'restore');
  const { resolve } = await import('node:path');
  const path = resolve(archive);
  const { restoreBackup, verifyBackup } = await import('../operations/backup/backup-service');
  if (values.verify === true) {
    const manifest = await verifyBackup(path);
    process.stderr.write(
      `${path}: a valid ${manifest.mode} backup from ${manifest.createdAt} (Switchyard ${manifest.switchyardVersion}, schema ${manifest.schema.prod.tag ?? manifest.schema.prod.applied}, ${manifest.storage.objects} objects); every checksum matches.\n`,
    );
    return;
  }
  if (values.yes !== true) {
    throw new UsageError('restore replaces both databases and every stored object: add --yes to go ahead', 'restore');
  }
  const config = await loadCliConfig(values);
  const lock = isServerMode(config) ? null : acquireDataDirLock(config.dataDir, { role: 'cli', socketPath: null });
  try {
    const [{ openObjectStore, closeObjectStore }, { wipePostgresDatabase }, { scrubberFor }] = await Promise.all([
      import('../infrastructure/object-store'),
      import('@switchyard/db'),
      import('@switchyard/core'),
    ]);
    const storage = await openObjectStore(config, createConfiguredLogger(config, undefined, 'warn'));
    try {
      const manifest = await restoreBackup(path, {
        config,
        storage,
        secrets: scrubberFor(config),
        wipePostgres: wipePostgresDatabase,
      });
      process.stderr.write(
        `Restored the ${manifest.createdAt} backup (${manifest.storage.objects} objects).${isServerMode(config) ? ' Run switchyard migrate, then start the API and workers.' : ''}\n`,
      );
    } finally {
      closeObjectStore(storage);
    }
  } finally {
    lock?.release();
  }
}

async function doctorCommand(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('doctor', args, { options: locationOptions });
  let config: SwitchyardConfig;
  try {
    config = await loadCliConfig(values);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    process.stdout.write(
      `FAIL  configuration: ${(error as Error).message}\n      fix: correct it (docs/configuration.md), then run switchyard doctor again\n`,
    );
    process.exitCode = 1;
    return;
  }
  const { runDoctor, formatDoctorReport } = await import('../operations/doctor');
  const checks = await runDoctor(config);
  process.stdout.write(
    `ok    configuration: ${config.configPath ?? 'environment only'}\n${formatDoctorReport(checks)}`,
  );
  if (checks.some((item) => !item.ok)) process.exitCode = 1;
}

async function configCommand(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const { values } = parseCommandArgs('config', rest, {
    options: { ...locationOptions, show: { type: 'boolean', default: false } },
  });
  if (subcommand !== 'check') throw new UsageError(`unknown config command '${subcommand ?? ''}' (check)`, 'config');
  let config: SwitchyardConfig;
  try {
    config = await loadCliConfig(values);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    process.stderr.write(`switchyard: configuration is invalid: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (values.show === true) {
    const { maskedConfig } = await import('../operations/doctor');
    process.stdout.write(`${maskedConfig(config)}\n`);
  }
  process.stderr.write(
    `Configuration is valid (${config.configPath ?? 'no config file; environment only'}; ${isServerMode(config) ? 'server' : 'embedded'} mode).\n`,
  );
}

/** Flags that say where things are, beside the variables they override. */
const locationOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>;

/** parseArgs whose complaints (an unknown flag, a missing value) are usage errors of the command. */
function parseCommandArgs<const Options extends ParseOptions>(command: string, args: string[], options: Options) {
  try {
    return parseArgs({ ...options, args, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

/** The configuration, with the location flags in place of their variables. */
function cliVariables(values: { port?: string; host?: string; config?: string; 'data-dir'?: string }) {
  const variables: Record<string, string | undefined> = { ...process.env };
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65_535) {
      throw new UsageError(`--port must be a port number (0-65535); got '${values.port}'`);
    }
    variables.PORT = values.port;
  }
  if (values.host !== undefined) variables.HOST = values.host;
  if (values.config !== undefined) variables.SWITCHYARD_CONFIG = values.config;
  if (values['data-dir'] !== undefined) variables.SWITCHYARD_DATA_DIR = values['data-dir'];
  return variables;
}

/** The configuration with its secrets: `NAME_FILE` files and `${vault:…}` references read first. */
function loadCliConfig(values: { port?: string; host?: string; config?: string; 'data-dir'?: string }) {
  return loadConfigWithSecrets(cliVariables(values));
}

function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(`${(topic && commandHelp[topic]) || usage}\n`);
    return;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${version}\n`);
    return;
  }
  const help = commandHelp[command];
  if (!help) throw new UsageError(`unknown command '${command}'`);
  // Help never has side effects: nothing is loaded, started or migrated.
  if (wantsHelp(rest)) {
    process.stdout.write(`${help}\n`);
    return;
  }
  switch (command) {
    case 'start': {
      const { values } = parseCommandArgs('start', rest, { options: locationOptions });
      return runServer(await loadCliConfig(values), 'all');
    }
    case 'api': {
      const { values } = parseCommandArgs('api', rest, {
        options: { ...locationOptions, workers: { type: 'string' } },
      });
      const config = await loadCliConfig(values);
      let workers: number;
      try {
        workers = parseWorkerCount(values.workers);
      } catch (error) {
        throw new UsageError((error as Error).message, 'api');
      }
      if (workers === 1) return runServer(config, 'api');
      if (!isServerMode(config)) {
        throw new UsageError(
          '--workers needs server mode (DATABASE_URL and DEV_DATABASE_URL): PGlite is single-process',
          'api',
        );
      }
      return runClustered(workers, createConfiguredLogger(config), () => runServer(config, 'api'));
    }
    case 'worker': {
      const { values } = parseCommandArgs('worker', rest, {
        options: { ...locationOptions, services: { type: 'string' } },
      });
      return runWorker(await loadCliConfig(values), values.services);
    }
    case 'migrate': {
      const { values } = parseCommandArgs('migrate', rest, { options: locationOptions });
      return migrate(await loadCliConfig(values));
    }
    case 'keys':
      return keysCommand(rest);
    case 'admin':
      return adminCommand(rest);
    case 'models':
      return modelsCommand(rest);
    case 'backup':
      return backupCommand(rest);
    case 'restore':
      return restoreCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case 'config':
      return configCommand(rest);
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    // The problem, and where to read more: not the whole usage again.
    const more = error.command ? `switchyard ${error.command} --help` : 'switchyard --help';
    process.stderr.write(`switchyard: ${error.message}\nRun '${more}' for usage.\n`);
    process.exit(2);
  }
  const message = isSwitchyardError(error) || error instanceof Error ? error.message : String(error);
  process.stderr.write(`switchyard: ${message}\n`);
  process.exit(1);
});
