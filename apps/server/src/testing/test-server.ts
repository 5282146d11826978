import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type EnvironmentVariables, type KeyScope, loadConfig } from '@switchyard/core';
import type { RetryPolicy } from '@switchyard/events';
import type { PlatformJobs } from '@switchyard/jobs';
import { stringify } from 'yaml';
import { type RunningServer, startServer } from '../composition/server';
import type { Role, ServerPartsOptions } from '../composition/server-parts';
import { createConfiguredLogger } from '../infrastructure/logger';
import { bundledEntry } from './bundled-entry';

/** The text extraction worker, bundled once per test process instead of loaded through tsx per file. */
const extractionWorkerSource = fileURLToPath(new URL('../files/extract-worker.ts', import.meta.url));
const extractionWorkerEntry = () => bundledEntry(extractionWorkerSource);

export interface TestServer extends RunningServer {
  dataDir: string;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Creates a key through the same service the CLI uses and returns the plaintext. */
  createKey(
    environment: 'prod' | 'dev',
    options?: { admin?: boolean; name?: string; scopes?: KeyScope[] },
  ): Promise<string>;
  /** Stops the server and deletes its data dir. */
  destroy(): Promise<void>;
}

export interface TestServerOptions {
  /** The YAML config file's content (providers, models, ...). */
  config?: Record<string, unknown>;
  variables?: EnvironmentVariables;
  role?: Role;
  /** Reuse a data dir (e.g. to restart on the same data); default is a fresh temp dir. */
  dataDir?: string;
  /** A job catalog with shortened retry schedules. */
  jobsCatalog?: PlatformJobs;
  /** Event handler retries in milliseconds. */
  eventRetryPolicy?: Partial<RetryPolicy>;
  /** Redis keys / RabbitMQ names of the event bus start with this (a test's own queues). */
  eventsPrefix?: string;
  /** The gift-finder services of a worker (default all), and its clock. */
  giftServices?: ServerPartsOptions['giftServices'];
  giftClock?: () => Date;
  /** The clock project invitations expire by. */
  projectsClock?: () => Date;
  /**
   * Keep the seed's per-IP limit for every caller (rate_limit.ip.per_minute = 20). Off by default:
   * every test request comes from 127.0.0.1, so test servers raise it unless a test is about it.
   */
  seedIpLimit?: boolean;
  /** The clock budget periods are read from. */
  budgetClock?: ServerPartsOptions['budgetClock'];
  /** The clock (ms) of the lazy dev database's retry backoff after a failed open. */
  databaseClock?: ServerPartsOptions['databaseClock'];
  databaseTracer?: ServerPartsOptions['databaseTracer'];
}

/**
 * Server mode needs AUTH_SECRET; test servers sharing one database share this
 * one unless a test passes its own (an empty string tests the missing case).
 */
export const testAuthSecret = 'test-only-session-signing-secret-0123456789abcdef';

/** Starts a real Switchyard on 127.0.0.1, an ephemeral port and a fresh data dir. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'switchyard-test-')));
  const configPath = join(dataDir, 'switchyard.config.yaml');
  const fileConfig = options.config ?? { ollama: { autodetect: false } };
  // Tests make their admins explicitly; the first sign-up becoming admin is tested where it is the subject.
  const auth = { firstUserAdmin: false, ...(fileConfig.auth as Record<string, unknown> | undefined) };
  await writeFile(configPath, stringify({ ...fileConfig, auth }));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: dataDir,
    SWITCHYARD_CONFIG: configPath,
    LOG_LEVEL: 'info',
    // Tests stop their servers at once; the drain delay is for a proxy's health check.
    SHUTDOWN_DRAIN_DELAY_SECONDS: '0',
    ...(options.variables?.DATABASE_URL ? { AUTH_SECRET: testAuthSecret } : {}),
    ...options.variables,
  });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const server = await startServer(config, createConfiguredLogger(config, sink, 'info'), options.role ?? 'all', {
    ...(options.jobsCatalog ? { jobsCatalog: options.jobsCatalog } : {}),
    ...(options.eventRetryPolicy ? { eventRetryPolicy: options.eventRetryPolicy } : {}),
    ...(options.eventsPrefix ? { eventsPrefix: options.eventsPrefix } : {}),
    ...(options.giftServices ? { giftServices: options.giftServices } : {}),
    ...(options.giftClock ? { giftClock: options.giftClock } : {}),
    ...(options.projectsClock ? { projectsClock: options.projectsClock } : {}),
    ...(options.budgetClock ? { budgetClock: options.budgetClock } : {}),
    ...(options.databaseClock ? { databaseClock: options.databaseClock } : {}),
    ...(options.databaseTracer ? { databaseTracer: options.databaseTracer } : {}),
    extractionWorkerEntry,
  });
  if (!options.seedIpLimit && options.role !== 'worker') {
    await server.parts.settings.set('rate_limit.ip.per_minute', 10_000_000);
  }
  return {
    ...server,
    dataDir,
    logs,
    async createKey(environment, keyOptions = {}) {
      const created = await server.parts.keyService.create({
        name: keyOptions.name ?? `${environment} test key`,
        environment,
        admin: keyOptions.admin === true,
        ...(keyOptions.scopes ? { scopes: keyOptions.scopes } : {}),
      });
      return created.key;
    },
    async destroy() {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
