import type {
  Environment,
  ImageQuota,
  KeyPoolStore,
  QuotaClock,
  RateLimiter,
  ResponseCacheStore,
  SwitchyardConfig,
} from '@switchyard/core';
import {
  createBatchedRateLimiter,
  createMemoryKeyPoolStore,
  createMemoryRateLimiter,
  createMemoryResponseCache,
  type SecretScrubber,
  scrubberFor,
  settingDefinitions,
} from '@switchyard/core';
import {
  createAppsRepository,
  createDatabaseAudioQuota,
  createDatabaseImageQuota,
  createIdempotencyRepository,
  createKeyRepository,
  createSavedSearchesRepository,
  createSchedulesRepository,
  createSettingsRepository,
  createSkillCallRepository,
  createUsageRepository,
  type IdempotencyRepository,
  provisionGiftServiceRoles,
  type QueryTracer,
} from '@switchyard/db';
import { platformEvents, type RetryPolicy } from '@switchyard/events';
import { type PlatformJobs, platformJobs } from '@switchyard/jobs';
import {
  createRedisChangeCounter,
  createRedisDailyQuota,
  createRedisImageQuota,
  createRedisKeyPoolStore,
  createRedisRateLimiter,
  createRedisResponseCache,
} from '@switchyard/redis';
import { createModelRegistry, createRouter, type ModelRegistry, type Router } from '@switchyard/routing';
import type { ObjectStore } from '@switchyard/storage';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AccountService, createAccountService } from '../accounts/account-service';
import { resolveAuthSecret } from '../accounts/auth-secret';
import { type AppAdmin, createAppAdmin } from '../apps/app-admin';
import { type AppRegistry, createAppRegistry } from '../apps/app-registry';
import { createBuiltinApps } from '../apps/builtin-apps';
import { createProjectApps, type ProjectApps } from '../apps/project-apps';
import { registerSkillJob } from '../apps/skill-job';
import { recordSkillCalls, type SkillCallRow } from '../apps/skill-usage';
import { type AudioAttachments, createAudioAttachments } from '../audio/audio-attachments';
import { registerAudioJob } from '../audio/audio-job';
import { type AudioModels, createAudioModels } from '../audio/audio-models';
import { type AudioQuota, createAudioQuota } from '../audio/audio-quota';
import { purgeExpiredRecordings } from '../audio/audio-recordings';
import { startTracing, type Tracing } from '../edge/tracing';
import { createPlatformEventBus, type PlatformEventBus } from '../events/event-bus';
import { createFlowService, type FlowService } from '../events/flows';
import { createDocumentExtractor } from '../files/document-extraction';
import { registerChatJob } from '../gateway/chat-job';
import { purgeStoredResponses } from '../gateway/stored-responses';
import { type GiftFinderServiceName, startGiftFinderServices } from '../gift-finder/gift-finder-services';
import { createProfileSources } from '../gift-finder/profile/create-profile-sources';
import type { ProfileSource } from '../gift-finder/profile/profile-source';
import { registerImageJob } from '../images/image-job';
import { createImageModels, type ImageModels } from '../images/image-models';
import { acquireDataDirLock, adminSocketPath, type DataDirLock } from '../infrastructure/data-dir-lock';
import {
  type ChangeTopic,
  changeChannel,
  closeDatabases,
  type Databases,
  isServerMode,
  openDatabases,
} from '../infrastructure/databases';
import {
  createMetrics,
  type Metrics,
  registerBuildInfo,
  registerDependencyMetrics,
  registerJobMetrics,
} from '../infrastructure/metrics';
import { closeObjectStore, openObjectStore } from '../infrastructure/object-store';
import { connectRedis } from '../infrastructure/redis-client';
import { createPublicDispatcher } from '../infrastructure/safe-fetch';
import { createJobQueue, type PlatformJobQueue } from '../jobs/job-queue';
import { createKeyService, type KeyService } from '../keys/key-service';
import { createKeyStore, type KeyStore, keyChangeCounterKey } from '../keys/key-store';
import { registerMessageSendJob } from '../messaging/message-send-job';
import { createNotificationWhatsAppSender } from '../messaging/notification-sender';
import { createWhatsAppSenders, type WhatsAppSenders } from '../messaging/whatsapp-senders';
import { registerWhatsAppWebhookJob } from '../messaging/whatsapp-webhook-job';
import { subscribeEventNotifications } from '../notifications/notification-events';
import { registerNotificationJobs } from '../notifications/notification-jobs';
import { createNotifications, type Notifications } from '../notifications/notifications';
import { registerBackupJob } from '../operations/backup/backup-job';
import { startSecretRefresh } from '../operations/secret-refresh';
import { planChangeCounterKey } from '../plans/plan-store';
import { createPlans, type Plans } from '../plans/plans';
import { createProjectService, type ProjectService } from '../projects/project-service';
import { createPlatformScheduler } from '../schedules/schedule-dependencies';
import type { Scheduler } from '../schedules/scheduler';
import { ensureSystemSchedules, registerMaintenanceJob } from '../schedules/system-schedules';
import { createModelSummariser } from '../searches/model-summariser';
import { createSavedSearches, type SavedSearches } from '../searches/saved-searches';
import { registerSearchRunJob } from '../searches/search-run-job';
import { createSettingsStore, type SettingsStore } from '../settings/settings-store';
import { createUsageWriter, type UsageWriter } from '../usage/usage-writer';
import { version } from '../version';
import { createWebSearchProvider } from '../web-search/create-web-search-provider';

export type Role = 'all' | 'api' | 'worker';

export interface ServerPartsOptions {
  /** Test hook: shorter retry schedules. */
  jobsCatalog?: PlatformJobs;
  /** Test hook: event handler retries in milliseconds. */
  eventRetryPolicy?: Partial<RetryPolicy>;
  /** Test hook: a prefix of the event bus's Redis keys or RabbitMQ names of the test's own. */
  eventsPrefix?: string;
  /** `switchyard worker --services …`: the gift-finder services this worker runs (default all). */
  giftServices?: readonly GiftFinderServiceName[];
  /** Where the gift finder's profile analysis reads links (the profile source adapters). */
  profileSources?: readonly ProfileSource[];
  /** Test hook: the gift finder's clock (Retry-After). */
  giftClock?: () => Date;
  /** Test hook: the clock project invitations expire by. */
  projectsClock?: () => Date;
  /** Test hook: the clock budget periods are read from. */
  budgetClock?: QuotaClock;
  /** Test hook: the clock (ms) of a lazily opened database's retry backoff after a failed open. */
  databaseClock?: () => number;
  /** Test hook: wraps every query of both databases (counting the statements a path costs). */
  databaseTracer?: QueryTracer;
  /** Test hook: the text extraction worker's script (a prebuilt bundle instead of the source through tsx). */
  extractionWorkerEntry?: () => Promise<string>;
}

/**
 * Every long-lived part of a process, built once by {@link createServerParts}. Only the
 * composition root (the HTTP app, the server, the CLI) and tests see this whole object: each
 * capability is handed the few parts it names in its own dependency type.
 */
export interface ServerParts {
  readonly config: SwitchyardConfig;
  readonly logger: Logger;
  /** Every configured secret value, scrubbed from error bodies, stored errors and logs. */
  readonly secrets: SecretScrubber;
  readonly metrics: Metrics;
  /** OpenTelemetry tracing; null unless an OTLP endpoint is configured. */
  readonly tracing: Tracing | null;
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
  /** Usage rows of skill calls (table skill_calls of each environment). */
  readonly skillCalls: UsageWriter<SkillCallRow>;
  readonly models: ModelRegistry;
  readonly router: Router;
  readonly keyPools: KeyPoolStore;
  readonly responseCache: ResponseCacheStore;
  readonly jobs: PlatformJobQueue;
  /** Domain events between capabilities (EVENTS_URL chooses the backend). */
  readonly events: PlatformEventBus;
  /** Durable schedules that queue catalog jobs (system purges, admin schedules, saved searches). */
  readonly schedules: Scheduler;
  /** Users' saved searches, run by their schedules (`search.run`). */
  readonly searches: SavedSearches;
  /** Projects: members in roles, invitations, and what is shared in them. */
  readonly projects: ProjectService;
  /** Flows and their event logs, which clients follow over SSE. */
  readonly flows: FlowService;
  readonly storage: ObjectStore;
  readonly imageModels: ImageModels;
  /** Speech-to-text and text-to-speech models (`audioModels:` in the config file). */
  readonly audioModels: AudioModels;
  /** Minutes of audio per caller and day (setting audio.max_minutes_per_day.<env>). */
  readonly audioQuota: AudioQuota;
  /** Audio attached to a chat, transcribed into the file's text. */
  readonly audioAttachments: AudioAttachments;
  /** Apps (built-in, MCP servers) whose skills clients and models call. */
  readonly apps: AppRegistry;
  /** Apps made and changed by admins at run time (stored in prod, applied on every process). */
  readonly appAdmin: AppAdmin;
  readonly projectApps: ProjectApps;
  readonly imageQuota: ImageQuota;
  /** In-app, email and WhatsApp notifications; other capabilities call `notify`. */
  readonly notifications: Notifications;
  /** Plans, their assignments, budgets and the price table. */
  readonly plans: Plans;
  readonly idempotency: IdempotencyRepository;
  /** Each environment's WhatsApp number (Cloud API client or dev's dry-run sink), from `whatsapp:` in the config. */
  readonly whatsapp: WhatsAppSenders;
  readonly redis: Redis | null;
  /** Embedded mode: the socket through which the CLI reaches this server. */
  readonly adminSocketPath: string | null;
  close(): Promise<void>;
}

/** The databases' query tracer: the spans of tracing, a test's own, or both (tracing's outermost). */
function queryTracer(tracing: Tracing | null, test: QueryTracer | undefined): { tracer: QueryTracer } | null {
  const spans = tracing?.queries;
  if (spans && test) {
    return { tracer: (statement, run, parameters) => spans(statement, () => test(statement, run, parameters)) };
  }
  const tracer = spans ?? test;
  return tracer ? { tracer } : null;
}

/**
 * Builds every long-lived part of a Switchyard process from the frozen config.
 * Nothing here knows about HTTP; the Fastify app is built on top of it.
 */
export async function createServerParts(
  config: SwitchyardConfig,
  logger: Logger,
  role: Role,
  options: ServerPartsOptions = {},
): Promise<ServerParts> {
  const mode = isServerMode(config) ? 'server' : 'embedded';
  const secrets = scrubberFor(config);
  const socketPath = mode === 'embedded' ? adminSocketPath(config.dataDir) : null;
  const lock: DataDirLock | null =
    mode === 'embedded' ? acquireDataDirLock(config.dataDir, { role: 'server', socketPath }) : null;
  const cleanups: Array<() => Promise<void> | void> = [];
  if (lock) cleanups.push(() => lock.release());
  try {
    // Before opening anything: server mode without AUTH_SECRET must fail at once with a clear message.
    const authSecret = resolveAuthSecret(config, mode);
    // Started first and stopped last, so every span of the start and of the shutdown is exported.
    const tracing = config.observability?.tracing ? await startTracing(config.observability.tracing, logger) : null;
    if (tracing) cleanups.push(() => tracing.shutdown());
    // The databases and Redis are independent: their connections (and the loading of their clients) overlap.
    // BullMQ, which the job queue and the scheduler load below in every server-mode process, loads meanwhile.
    if (config.redisUrl) void import('@switchyard/jobs/bullmq').catch(() => {});
    const [opened, connected] = await Promise.allSettled([
      openDatabases(config, {
        ...(queryTracer(tracing, options.databaseTracer) ?? {}),
        ...(options.databaseClock ? { clock: options.databaseClock } : {}),
        onError: (error, context) =>
          logger.warn({ reason: error instanceof Error ? error.message : String(error) }, `database: ${context}`),
      }),
      config.redisUrl ? connectRedis(config.redisUrl, logger) : null,
    ]);
    if (opened.status === 'fulfilled') cleanups.unshift(() => closeDatabases(opened.value));
    if (connected.status === 'fulfilled' && connected.value) {
      const client = connected.value;
      cleanups.unshift(() => void client.disconnect());
    }
    if (opened.status === 'rejected') throw opened.reason;
    if (connected.status === 'rejected') throw connected.reason;
    const databases = opened.value;
    const redis = connected.value;
    if (redis && tracing) tracing.traceRedis(redis as never);

    const metrics = createMetrics();
    let imageModelsRef: ImageModels | null = null;
    let audioModelsRef: AudioModels | null = null;
    registerBuildInfo(metrics, { version, mode, role });
    registerDependencyMetrics(metrics, {
      databases,
      probeDev: mode === 'server',
      redis,
      dataDir: config.dataDir,
    });
    const keyRepository = createKeyRepository(databases.prod.db);
    const settingsRepository = createSettingsRepository(databases.prod.db);

    // With Redis, a revocation reaches every process's next request through a shared counter.
    const keys = createKeyStore(
      () => keyRepository.list({ includeRevoked: true }),
      logger,
      redis ? createRedisChangeCounter(redis, keyChangeCounterKey) : null,
    );
    const announce = (topic: ChangeTopic) => databases.prod.notify(changeChannel, topic);
    const settings = createSettingsStore(
      {
        list: () => settingsRepository.list(),
        set: (key, value) => settingsRepository.set(key, value),
        announce: () => announce('settings'),
      },
      logger,
    );
    // Made with the apps (below); a change notification before then has nothing to apply to.
    let appAdmin: AppAdmin | null = null;
    // The app registry is made further down; plans only ask it when an admin names apps.
    let appRegistry: AppRegistry | null = null;
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
      appAdmin?.reload().catch(() => {});
      plans?.store.reload().catch(() => {});
      accounts.forget();
    };
    let plans: Plans | null = null;
    // The LISTEN connection, the keys and the settings (after their defaults are seeded) load at the same time.
    const [listened, loaded] = await Promise.allSettled([
      databases.prod.listen(
        changeChannel,
        (payload) => {
          if (payload === 'keys') keys.reload().catch(() => {});
          if (payload === 'settings') settings.reload().catch(() => {});
          if (payload === 'users') accounts.forget();
          if (payload === 'apps') appAdmin?.reload().catch(() => {});
          if (payload === 'plans') plans?.store.reload().catch(() => {});
        },
        // Notifications sent while the LISTEN connection was down are lost: reload everything.
        { onReconnect: reloadAll },
      ),
      Promise.all([keys.reload(), settingsRepository.seedDefaults(settingDefinitions).then(() => settings.reload())]),
    ]);
    if (listened.status === 'fulfilled') cleanups.unshift(listened.value);
    if (listened.status === 'rejected') throw listened.reason;
    if (loaded.status === 'rejected') throw loaded.reason;
    // Safety net for a notification lost while a LISTEN connection was being re-established.
    const refresh = setInterval(reloadAll, 60_000);
    refresh.unref();
    cleanups.unshift(() => clearInterval(refresh));

    const keyService = createKeyService(keyRepository, async () => {
      await keys.markChanged();
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
    // Skill calls get their own rows (a request may make many, an async call runs outside any request).
    const skillCalls = createUsageWriter<SkillCallRow>({
      insert: {
        prod: (rows) => createSkillCallRepository(databases.prod.db).insertMany(rows),
        dev: (rows) => createSkillCallRepository(databases.dev.db).insertMany(rows),
      },
      logger,
      what: 'skill call rows',
    });
    cleanups.unshift(() => skillCalls.close());

    // Server mode: hits are reserved from Redis in batches for large limits (see createBatchedRateLimiter).
    const limiter = redis ? createBatchedRateLimiter(createRedisRateLimiter(redis)) : createMemoryRateLimiter();
    const models = createModelRegistry(config, logger);
    cleanups.unshift(() => models.close());
    // `${vault:…}` references are read again periodically: a rotated key needs no restart.
    const secretRefresh = startSecretRefresh({ config, models, secrets, logger });
    cleanups.unshift(() => secretRefresh.stop());
    const keyPools = redis ? createRedisKeyPoolStore(redis) : createMemoryKeyPoolStore();
    const responseCache = redis ? createRedisResponseCache(redis) : createMemoryResponseCache(config.cache.maxEntries);
    const router = createRouter({ models, keyPools, policy: config.routing, metrics, logger });
    const jobs = await createJobQueue({
      config,
      database: databases.prod,
      catalog: options.jobsCatalog ?? platformJobs,
      logger,
      secrets,
      tracing,
    });
    // Closed before the databases and Redis it uses (cleanups run front to back).
    cleanups.unshift(() => jobs.close({ graceful: true, timeoutMs: config.shutdownTimeoutMs }));
    const events = createPlatformEventBus({
      config,
      database: databases.prod,
      // Dev's state changes commit their events to dev's own outbox.
      outboxDatabases: [databases.dev],
      catalog: platformEvents,
      logger,
      secrets,
      tracing,
      // The system schedule `system.consumed-events-purge` purges once for all processes.
      purgeIntervalMs: 0,
      ...(options.eventRetryPolicy ? { retryPolicy: options.eventRetryPolicy } : {}),
      ...(options.eventsPrefix ? { prefix: options.eventsPrefix } : {}),
    });
    cleanups.unshift(() => events.close({ graceful: true, timeoutMs: config.shutdownTimeoutMs }));
    const schedules = await createPlatformScheduler({ config, database: databases.prod, jobs, logger, secrets });
    // Stops firing before the job queue it enqueues to closes.
    cleanups.unshift(() => schedules.close());
    // Waited for below, after the other parts are made: its round trips (and the first BullMQ job scheduler
    // call, ~50 ms) overlap their work.
    const reconciling = ensureSystemSchedules(schedules, { backupSchedule: config.backup.schedule });
    // A failure is thrown where it is awaited; until then it must not count as unhandled.
    reconciling.catch(() => {});
    const savedSearchRepository = createSavedSearchesRepository(databases.prod.db);
    const searches = createSavedSearches({
      repository: savedSearchRepository,
      scheduler: schedules,
      providerType: config.webSearch?.type ?? null,
    });
    const flows = createFlowService(databases.prod);
    cleanups.unshift(() => flows.close());
    const whatsapp = createWhatsAppSenders(config.whatsapp ?? null);
    // Notifications reach WhatsApp through the messaging capability (as its notification template);
    // without a `whatsapp:` section the channel is off and no WhatsApp delivery is created.
    const notifications = createNotifications({
      config,
      databases,
      jobs,
      logger,
      authSecret,
      whatsapp: createNotificationWhatsAppSender({ databases, whatsapp }),
    });
    cleanups.unshift(() => notifications.close());
    plans = createPlans({
      config,
      databases,
      redis,
      counter: redis ? createRedisChangeCounter(redis, planChangeCounterKey) : null,
      logger,
      models,
      imageModels: { list: () => imageModelsRef?.list() ?? [] },
      audioModels: { list: () => audioModelsRef?.list() ?? [] },
      apps: () => appRegistry,
      notifications,
      announce: () => announce('plans'),
      ...(options.budgetClock ? { clock: options.budgetClock } : {}),
    });
    await plans.store.reload();
    const storage = await openObjectStore(config, logger);
    cleanups.unshift(() => closeObjectStore(storage));
    const imageModels = createImageModels(config);
    imageModelsRef = imageModels;
    cleanups.unshift(() => imageModels.close());
    const audioModels = createAudioModels(config);
    audioModelsRef = audioModels;
    cleanups.unshift(() => audioModels.close());
    const environmentDatabases = { prod: databases.prod.db, dev: databases.dev.db };
    // The images' daily quota mechanism, counting seconds: Redis decides in server mode, the row in embedded.
    const databaseAudioQuota = createDatabaseAudioQuota(environmentDatabases);
    const audioQuota = createAudioQuota(
      redis
        ? createRedisDailyQuota(redis, { keyPrefix: 'sy:quota:audio', record: databaseAudioQuota })
        : databaseAudioQuota,
      settings,
    );
    const audioAttachments = createAudioAttachments({ audioModels, audioQuota, settings, jobs, databases });
    const databaseImageQuota = createDatabaseImageQuota(environmentDatabases);
    // With Redis, Redis decides and the database only records the count for reporting.
    const imageQuota = redis ? createRedisImageQuota(redis, { record: databaseImageQuota }) : databaseImageQuota;
    const idempotency = createIdempotencyRepository(databases.prod.db);
    // Apps connect on first use: a server that is down does not hold up the start.
    const builtins = createBuiltinApps({
      config,
      databases,
      images: { databases, imageModels, imageQuota, jobs, settings },
      limiter,
      logger,
    });
    // Every skill call, whichever path it takes, leaves a usage row.
    const apps = recordSkillCalls(
      createAppRegistry({ apps: config.apps, builtins, logger, metrics }),
      skillCalls.record,
    );
    cleanups.unshift(() => apps.close());
    appRegistry = apps;
    const appsRepository = createAppsRepository(databases.prod.db);
    const projectAppDispatcher = createPublicDispatcher({
      allowedNetworks: config.projectApps.allowedNetworks,
      // Skills may run for minutes and MCP streams stay open: the apps' own timeouts apply.
      timeoutMs: 600_000,
    });
    // Destroyed, not closed: a project's MCP app may hold a stream open, which a graceful close would wait for.
    cleanups.unshift(() => projectAppDispatcher.destroy());
    appAdmin = createAppAdmin(
      apps,
      {
        list: () => appsRepository.list(),
        find: (id) => appsRepository.find(id),
        insert: (row) => appsRepository.insert(row),
        put: (row) => appsRepository.put(row),
        delete: (id) => appsRepository.delete(id),
        deleteForProject: (projectId) => appsRepository.deleteForProject(projectId),
        announce: () => announce('apps'),
      },
      logger,
      { projectAppDispatcher },
    );
    const [retimed] = await Promise.all([reconciling, appAdmin.reload()]);
    if (retimed.length > 0) logger.info({ schedules: retimed }, 'system schedules retimed to the configuration');
    const projectApps = createProjectApps(appAdmin, appsRepository);

    if (role === 'all' || role === 'worker') {
      // Each capability registers the handlers of its own jobs.
      await registerChatJob(jobs, { models, router, databases });
      await registerImageJob(jobs, { databases, storage, imageModels, secrets });
      await registerAudioJob(jobs, { storage, audioModels, audioQuota, databases });
      await jobs.process(
        'document.extract',
        createDocumentExtractor(databases, storage, settings, options.extractionWorkerEntry),
      );
      await registerSkillJob(jobs, { apps });
      // Without a `whatsapp:` section nothing can queue these jobs: no consumers polling for them.
      if (whatsapp.config) {
        await registerMessageSendJob(jobs, { databases, whatsapp });
        await registerWhatsAppWebhookJob(jobs, {
          config,
          databases,
          jobs,
          whatsapp,
          models,
          router,
          settings,
          limiter,
          audioModels,
          audioQuota,
          usage,
          plans,
          apps,
          logger,
        });
      }
      await registerMaintenanceJob(jobs, {
        idempotency,
        events,
        schedules: createSchedulesRepository(databases.prod.db),
        purgeRecordings: () => purgeExpiredRecordings({ databases, storage, settings }),
        purgeStoredResponses: () => purgeStoredResponses(databases),
      });
      await registerBackupJob(jobs, { config, databases, storage, secrets, logger });
      await registerSearchRunJob(jobs, {
        repository: savedSearchRepository,
        provider: createWebSearchProvider(config.webSearch),
        events,
        summarise: createModelSummariser({ models, router, defaultModel: config.defaultModel }),
        logger,
      });
      await registerNotificationJobs(jobs, notifications);
      logger.info({ backend: jobs.backend, workerId: jobs.workerId }, 'job processors started');
      await flows.record(events);
      if (mode === 'server' && config.giftFinder.serviceRoles === true) {
        // Idempotent; `switchyard migrate` does the same for installations whose workers lack CREATEROLE.
        for (const database of [databases.prod, databases.dev]) await provisionGiftServiceRoles(database.db);
      }
      // The configured profile source (built-in fetch, or Bright Data) unless a test brings its own.
      let profileSources = options.profileSources;
      if (!profileSources) {
        const configured = createProfileSources(config);
        cleanups.unshift(() => configured.close());
        profileSources = [configured.source];
      }
      await startGiftFinderServices(
        {
          config,
          bus: events,
          databases,
          models,
          router,
          logger,
          mode,
          profileSources,
          ...(options.giftClock ? { now: options.giftClock } : {}),
        },
        options.giftServices,
      );
      await subscribeEventNotifications(events, notifications, logger);
      logger.info({ backend: events.backend }, 'event consumers started');
      await schedules.start();
      logger.info('schedules started');
    }
    registerJobMetrics(metrics, jobs);

    const projects = createProjectService({
      databases,
      keys: keyService,
      searches,
      storage,
      plans: plans.service,
      apps: appAdmin,
      mailer: accounts.mailer,
      siteOrigin: () => accounts.siteOrigin(),
      invitationTtlHours: config.accounts.projectInvitationTtlHours,
      maxOwnedProjects: config.accounts.maxOwnedProjects,
      logger,
      ...(options.projectsClock ? { now: options.projectsClock } : {}),
    });

    let closed = false;
    return {
      config,
      logger,
      secrets,
      metrics,
      tracing,
      role,
      mode,
      databases,
      keys,
      keyService,
      accounts,
      settings,
      limiter,
      usage,
      skillCalls,
      models,
      router,
      keyPools,
      responseCache,
      jobs,
      events,
      schedules,
      searches,
      projects,
      flows,
      storage,
      imageModels,
      audioModels,
      audioQuota,
      audioAttachments,
      apps,
      appAdmin: appAdmin as AppAdmin,
      projectApps,
      imageQuota,
      notifications,
      plans,
      idempotency,
      whatsapp,
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
