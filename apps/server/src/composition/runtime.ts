import type { Environment, KeyPoolStore, RateLimiter, ResponseCacheStore, SwitchyardConfig } from '@switchyard/core';
import {
  createBatchedRateLimiter,
  createMemoryKeyPoolStore,
  createMemoryRateLimiter,
  createMemoryResponseCache,
  SwitchyardError,
  settingDefinitions,
} from '@switchyard/core';
import { createKeyRepository, createSettingsRepository, createUsageRepository } from '@switchyard/db';
import { createRedisKeyPoolStore, createRedisRateLimiter, createRedisResponseCache } from '@switchyard/redis';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AccountService, createAccountService } from '../accounts/account-service';
import { resolveAuthSecret } from '../accounts/auth-secret';
import { createModelRegistry, type ModelRegistry } from '../gateway/model-registry';
import { createRouter, type Router } from '../gateway/router';
import { createKeyService, type KeyService } from '../keys/key-service';
import { createKeyStore, type KeyStore } from '../keys/key-store';
import { createMetrics, type Metrics, registerJobMetrics } from '../operations/metrics';
import { createSettingsStore, type SettingsStore } from '../settings/settings-store';
import { createUsageWriter, type UsageWriter } from '../usage/usage-writer';
import { acquireDataDirLock, adminSocketPath, type DataDirLock } from './data-dir-lock';
import {
  type ChangeTopic,
  changeChannel,
  closeDatabases,
  type Databases,
  isServerMode,
  openDatabases,
} from './databases';
import { createPlatform, type Platform, type PlatformDependencies } from './platform';

export type Role = 'all' | 'api' | 'worker';

export interface Runtime {
  readonly config: SwitchyardConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly role: Role;
  readonly mode: 'embedded' | 'server';
  readonly databases: Databases;
  readonly keys: KeyStore;
  readonly keyService: KeyService;
  /** Users, sessions and roles (better-auth on the prod database). */
  readonly accounts: AccountService;
  readonly settings: SettingsStore;
  readonly limiter: RateLimiter;
  readonly usage: UsageWriter;
  readonly models: ModelRegistry;
  readonly router: Router;
  readonly keyPools: KeyPoolStore;
  readonly responseCache: ResponseCacheStore;
  /** Jobs, object storage, image models, quotas and idempotency. */
  readonly platform: Platform;
  readonly redis: Redis | null;
  /** Embedded mode: the socket through which the CLI reaches this server. */
  readonly adminSocketPath: string | null;
  close(): Promise<void>;
}

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const client = new Redis(url, { maxRetriesPerRequest: 2, enableReadyCheck: true, lazyConnect: true });
  client.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', `Redis at REDIS_URL is not reachable`, { cause: error });
  }
  return client;
}

/**
 * Builds every long-lived part of a Switchyard process from the frozen config.
 * Nothing here knows about HTTP; the Fastify app is built on top of it.
 */
export async function createRuntime(
  config: SwitchyardConfig,
  logger: Logger,
  role: Role,
  platformOptions: Pick<PlatformDependencies, 'jobsCatalog'> = {},
): Promise<Runtime> {
  const mode = isServerMode(config) ? 'server' : 'embedded';
  const socketPath = mode === 'embedded' ? adminSocketPath(config.dataDir) : null;
  const lock: DataDirLock | null =
    mode === 'embedded' ? acquireDataDirLock(config.dataDir, { role: 'server', socketPath }) : null;
  const cleanups: Array<() => Promise<void> | void> = [];
  if (lock) cleanups.push(() => lock.release());
  try {
    // Before opening anything: server mode without AUTH_SECRET must fail at once with a clear message.
    const authSecret = resolveAuthSecret(config, mode);
    const databases = await openDatabases(config);
    cleanups.unshift(() => closeDatabases(databases));
    const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : null;
    if (redis) cleanups.unshift(() => void redis.disconnect());

    const metrics = createMetrics();
    const keyRepository = createKeyRepository(databases.prod.db);
    const settingsRepository = createSettingsRepository(databases.prod.db);
    await settingsRepository.seedDefaults(settingDefinitions);

    const keys = createKeyStore(() => keyRepository.list({ includeRevoked: true }), logger);
    const announce = (topic: ChangeTopic) => databases.prod.notify(changeChannel, topic);
    const settings = createSettingsStore(
      {
        list: () => settingsRepository.list(),
        set: (key, value) => settingsRepository.set(key, value),
        announce: () => announce('settings'),
      },
      logger,
    );
    await Promise.all([keys.reload(), settings.reload()]);
    const accounts = createAccountService({
      db: databases.prod.db,
      secret: authSecret,
      config,
      logger,
      announce: () => announce('users'),
    });
    cleanups.unshift(() => accounts.close());

    const reloadAll = () => {
      keys.reload().catch(() => {});
      settings.reload().catch(() => {});
      accounts.forget();
    };
    const unlisten = await databases.prod.listen(
      changeChannel,
      (payload) => {
        if (payload === 'keys') keys.reload().catch(() => {});
        if (payload === 'settings') settings.reload().catch(() => {});
        if (payload === 'users') accounts.forget();
      },
      // Notifications sent while the LISTEN connection was down are lost: reload everything.
      { onReconnect: reloadAll },
    );
    cleanups.unshift(unlisten);
    // Safety net for a notification lost while a LISTEN connection was being re-established.
    const refresh = setInterval(reloadAll, 60_000);
    refresh.unref();
    cleanups.unshift(() => clearInterval(refresh));

    const keyService = createKeyService(keyRepository, async () => {
      await keys.reload();
      await announce('keys');
    });

    const usageRepositories: Record<Environment, ReturnType<typeof createUsageRepository>> = {
      prod: createUsageRepository(databases.prod.db),
      dev: createUsageRepository(databases.dev.db),
    };
    const usage = createUsageWriter({
      insert: {
        prod: async (rows) => void (await usageRepositories.prod.insertMany(rows)),
        dev: async (rows) => void (await usageRepositories.dev.insertMany(rows)),
      },
      logger,
      metrics,
    });
    cleanups.unshift(() => usage.close());

    // Server mode: hits are reserved from Redis in batches for large limits (see createBatchedRateLimiter).
    const limiter = redis ? createBatchedRateLimiter(createRedisRateLimiter(redis)) : createMemoryRateLimiter();
    const models = createModelRegistry(config, logger);
    cleanups.unshift(() => models.close());
    const keyPools = redis ? createRedisKeyPoolStore(redis) : createMemoryKeyPoolStore();
    const responseCache = redis ? createRedisResponseCache(redis) : createMemoryResponseCache(config.cache.maxEntries);
    const router = createRouter({ models, keyPools, policy: config.routing, metrics, logger });
    const platform = await createPlatform({ config, logger, databases, redis, models, router, ...platformOptions });
    // Closed before the databases and Redis it uses (cleanups run front to back).
    cleanups.unshift(() => platform.close());
    if (role === 'all' || role === 'worker') await platform.startProcessors();
    registerJobMetrics(metrics, platform.jobs);

    let closed = false;
    return {
      config,
      logger,
      metrics,
      role,
      mode,
      databases,
      keys,
      keyService,
      accounts,
      settings,
      limiter,
      usage,
      models,
      router,
      keyPools,
      responseCache,
      platform,
      redis,
      adminSocketPath: socketPath,
      async close() {
        if (closed) return;
        closed = true;
        for (const cleanup of cleanups) {
          try {
            await cleanup();
          } catch (error) {
            logger.error({ err: error }, 'error during shutdown');
          }
        }
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => {});
    throw error;
  }
}
