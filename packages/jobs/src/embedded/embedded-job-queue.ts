import { randomUUID } from 'node:crypto';
import { SwitchyardError } from '@switchyard/core';
import {
  createJobsRepository,
  type JobLease,
  type JobRow,
  type StoredJobError,
  type SwitchyardDatabase,
} from '@switchyard/db';
import { type JobCatalog, type JobDefinition, retryDelayMs } from '../catalog';
import { checkEnqueue, clampLimit, defaultWorkerId, requireDefinition } from '../enqueue-checks';
import { createEventHub } from '../event-hub';
import { jobErrorCodes } from '../failure';
import {
  type Clock,
  type JobEvent,
  type JobHandler,
  type JobQueue,
  type JobRecord,
  type JobTrace,
  type JsonValue,
  systemClock,
} from '../job-queue';
import { JobInterruption, runAttempt } from '../run-attempt';
import { createDatabaseEvents } from './database-events';
import { countsToStats, rowToRecord } from './job-row';

export interface EmbeddedJobQueueOptions<Catalog extends JobCatalog> {
  /** The prod (control-plane) database in a normal deployment; jobs carry their environment in a column. */
  database: SwitchyardDatabase;
  catalog: Catalog;
  clock?: Clock;
  workerId?: string;
  /** How long a claimed job stays this worker's without renewal; renewed every third of it. Default 30 s. */
  leaseMs?: number;
  /**
   * Backstop poll for jobs that another process enqueued or that became due. Default 1 s on PostgreSQL
   * (other processes share it) and 5 s on PGlite, which only this process opens: its enqueues and
   * retries wake the consumers directly, so the poll only finds far-off delayed jobs and expired leases.
   */
  pollIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** Completed rows are deleted after this long. Default 24 h. */
  retainCompletedMs?: number;
  /** Default for close({ graceful: true }). Default 10 s. */
  shutdownTimeoutMs?: number;
  onError?: (error: unknown, context: string) => void;
  /** Applied to every failure message before it is stored as `last_error` or published. */
  scrubErrorMessage?: (message: string) => string;
}

interface RunningJob {
  lease: JobLease;
  controller: AbortController;
  done: Promise<void>;
}

interface Consumer {
  definition: JobDefinition;
  // biome-ignore lint/suspicious/noExplicitAny: payloads are checked against the schema before the handler runs
  handler: JobHandler<any>;
  concurrency: number;
  running: Map<string, RunningJob>;
  pumping: Promise<void> | undefined;
  pumpAgain: boolean;
  pollTimer: NodeJS.Timeout | undefined;
}

type State = 'running' | 'draining' | 'crashed' | 'closed';

const maintenanceEveryMs = 60_000;
const forgetWorkersAfterMs = 24 * 60 * 60_000;
/** Beyond this the poll finds a due job soon enough; a timer per far-off job would only pile up. */
const longestWakeTimerMs = 60_000;

/**
 * Jobs as rows in PGlite or PostgreSQL. Workers claim rows with
 * `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` and hold them by a
 * lease they renew while the handler runs; a crashed process's rows are
 * claimed again once their lease ran out. Several processes may share one
 * PostgreSQL database.
 */
export function createEmbeddedJobQueue<Catalog extends JobCatalog>(
  options: EmbeddedJobQueueOptions<Catalog>,
): JobQueue<Catalog> {
  const { database, catalog } = options;
  const clock = options.clock ?? systemClock;
  const workerId = options.workerId ?? defaultWorkerId();
  const leaseMs = options.leaseMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? (database.kind === 'pglite' ? 5_000 : 1_000);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const retainCompletedMs = options.retainCompletedMs ?? 24 * 60 * 60_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/jobs] ${context}:`, error));
  const repository = createJobsRepository(database.db);
  const hub = createEventHub(reportError);
  const consumers = new Map<string, Consumer>();
  const wakeTimers = new Set<NodeJS.Timeout>();
  const instanceId = randomUUID();
  // NOTIFY also on PGlite: several queue instances may share one in-process database (and tests do).
  const databaseEvents = createDatabaseEvents(database, instanceId, repository.findById, reportError);
  let state: State = 'running';
  let closing: Promise<void> | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let startedAt: Date | undefined;
  let lastMaintenance = 0;

  const now = () => new Date(clock.now());

  function publish(event: JobEvent): void {
    hub.emit(event);
    databaseEvents.publish(event).catch((error: unknown) => reportError(error, 'publishing a job event failed'));
  }

  function schedulePump(consumer: Consumer, delayMs: number): void {
    if (state !== 'running' || delayMs > longestWakeTimerMs) return;
    const timer = setTimeout(() => {
      wakeTimers.delete(timer);
      void pump(consumer);
    }, delayMs + 1);
    timer.unref();
    wakeTimers.add(timer);
  }

  /** Claims as many due jobs as there are free slots; one pump per consumer at a time. */
  function pump(consumer: Consumer): Promise<void> {
    if (state !== 'running') return Promise.resolve();
    if (consumer.pumping) {
      consumer.pumpAgain = true;
      return consumer.pumping;
    }
    clearTimeout(consumer.pollTimer);
    // `.finally` runs after the assignment even when claimUntilFull finishes without awaiting anything.
    consumer.pumping = claimUntilFull(consumer)
      .catch((error: unknown) => reportError(error, `claiming '${consumer.definition.name}' jobs failed`))
      .finally(() => {
        consumer.pumping = undefined;
        if (state !== 'running') return;
        consumer.pollTimer = setTimeout(() => void pump(consumer), pollIntervalMs);
        consumer.pollTimer.unref();
      });
    return consumer.pumping;
  }

  async function claimUntilFull(consumer: Consumer): Promise<void> {
    do {
      consumer.pumpAgain = false;
      while (state === 'running' && consumer.running.size < consumer.concurrency) {
        const free = consumer.concurrency - consumer.running.size;
        const at = clock.now();
        const rows = await repository.claim({
          name: consumer.definition.name,
          workerId,
          limit: free,
          now: new Date(at),
          lockExpiresAt: new Date(at + leaseMs),
        });
        if (state !== 'running') {
          await giveBack(rows);
          return;
        }
        for (const row of rows) start(consumer, row);
        if (rows.length < free) break;
      }
    } while (consumer.pumpAgain && state === 'running');
  }

  /** Rows claimed while a close began: hand them back at once unless this instance plays dead. */
  async function giveBack(rows: readonly JobRow[]): Promise<void> {
    if (state === 'crashed') return;
    for (const row of rows) {
      await repository.release({ id: row.id, workerId, attempt: row.attempts }, now());
    }
  }

  function start(consumer: Consumer, row: JobRow): void {
    const lease: JobLease = { id: row.id, workerId, attempt: row.attempts };
    const controller = new AbortController();
    const running: RunningJob = { lease, controller, done: Promise.resolve() };
    consumer.running.set(row.id, running);
    running.done = execute(consumer, row, running)
      .catch((error: unknown) => reportError(error, `job '${row.id}' (${row.name}) could not be recorded`))
      .finally(() => {
        consumer.running.delete(row.id);
        void pump(consumer);
      });
  }

  async function execute(consumer: Consumer, row: JobRow, running: RunningJob): Promise<void> {
    const { definition } = consumer;
    const { lease, controller } = running;
    if (row.attempts > row.maxAttempts) {
      // The claim found a row whose final attempt died with its worker (the lease ran out).
      await recordFailure(consumer, row, lease, {
        error: {
          code: jobErrorCodes.lost,
          message: `the worker running attempt ${row.maxAttempts} of ${row.maxAttempts} stopped before finishing`,
        },
        retryable: false,
        attempts: row.maxAttempts,
      });
      return;
    }
    const outcome = await runAttempt({
      definition,
      handler: consumer.handler,
      job: {
        id: row.id,
        name: row.name,
        environment: row.environment,
        payload: row.payload,
        trace: (row.trace as JobTrace | null) ?? null,
        attempt: lease.attempt,
        maxAttempts: row.maxAttempts,
      },
      interrupt: controller.signal,
      scrubErrorMessage: options.scrubErrorMessage,
      async reportProgress(data: JsonValue) {
        if (state === 'crashed' || controller.signal.aborted) return;
        if (await repository.setProgress(lease, data, now())) {
          publish({ type: 'progress', jobId: row.id, name: row.name, data });
        }
      },
    });
    if (state === 'crashed') return;
    switch (outcome.kind) {
      case 'completed':
        if (await repository.complete(lease, outcome.result, now())) {
          publish({ type: 'completed', jobId: row.id, name: row.name, attempt: lease.attempt, result: outcome.result });
        }
        return;
      case 'failed':
        await recordFailure(consumer, row, lease, outcome);
        return;
      case 'interrupted':
        // A lost lease means another worker owns the row now; only a shutdown hands it back.
        if (outcome.reason === 'shutdown') await repository.release(lease, now());
        return;
    }
  }

  async function recordFailure(
    consumer: Consumer,
    row: JobRow,
    lease: JobLease,
    failure: { error: StoredJobError; retryable: boolean; attempts?: number },
  ): Promise<void> {
    const at = clock.now();
    const retry = failure.retryable && lease.attempt < row.maxAttempts;
    const delayMs = retry ? retryDelayMs(consumer.definition, lease.attempt) : 0;
    const retryAt = retry ? new Date(at + delayMs) : null;
    const stored = await repository.fail(
      lease,
      {
        error: failure.error,
        retryAt,
        ...(failure.attempts === undefined ? {} : { attempts: failure.attempts }),
      },
      new Date(at),
    );
    if (!stored) return;
    publish({
      type: 'failed',
      jobId: row.id,
      name: row.name,
      attempt: failure.attempts ?? lease.attempt,
      error: failure.error,
      dead: retryAt === null,
      retryAt,
    });
    if (retryAt) schedulePump(consumer, delayMs);
  }

  function allRunning(): RunningJob[] {
    return [...consumers.values()].flatMap((consumer) => [...consumer.running.values()]);
  }

  let renewing = false;
  async function renewLeases(): Promise<void> {
    const running = allRunning();
    // One renewal at a time: on a slow database, piled-up renewals would only slow it down further.
    if (running.length === 0 || renewing) return;
    renewing = true;
    try {
      await renewHeldLeases(running);
    } finally {
      renewing = false;
    }
  }

  async function renewHeldLeases(running: readonly RunningJob[]): Promise<void> {
    const at = clock.now();
    const held = new Set(
      await repository.renewLeases(
        workerId,
        running.map((job) => job.lease.id),
        new Date(at + leaseMs),
        new Date(at),
      ),
    );
    for (const job of running) {
      if (!held.has(job.lease.id)) job.controller.abort(new JobInterruption('lease-lost'));
    }
  }

  async function heartbeat(): Promise<void> {
    const at = now();
    startedAt ??= at;
    await repository.heartbeat({
      workerId,
      names: [...consumers.keys()],
      active: allRunning().length,
      startedAt,
      lastSeenAt: at,
    });
    if (at.getTime() - lastMaintenance >= maintenanceEveryMs) {
      lastMaintenance = at.getTime();
      await repository.purgeCompleted(new Date(at.getTime() - retainCompletedMs));
      await repository.purgeWorkers(new Date(at.getTime() - forgetWorkersAfterMs));
    }
  }

  function startBackgroundTimers(): void {
    if (!renewTimer) {
      renewTimer = setInterval(
        () => {
          renewLeases().catch((error: unknown) => reportError(error, 'renewing job leases failed'));
        },
        Math.max(10, Math.floor(leaseMs / 3)),
      );
      renewTimer.unref();
    }
    if (!heartbeatTimer) {
      heartbeatTimer = setInterval(() => {
        heartbeat().catch((error: unknown) => reportError(error, 'job worker heartbeat failed'));
      }, heartbeatIntervalMs);
      heartbeatTimer.unref();
    }
  }

  function stopTimers(): void {
    clearInterval(renewTimer);
    clearInterval(heartbeatTimer);
    for (const timer of wakeTimers) clearTimeout(timer);
    wakeTimers.clear();
    for (const consumer of consumers.values()) clearTimeout(consumer.pollTimer);
  }

  function assertOpen(): void {
    if (state !== 'running') throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'The job queue is closed');
  }

  async function requireRow(id: string, action: string): Promise<never> {
    const row = await repository.findById(id);
    if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No job '${id}'`);
    throw new SwitchyardError('SY_ERR_CONFLICT', `Job '${id}' is ${row.status}; only dead jobs can be ${action}`);
  }

  async function close(closeOptions: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (closing) return closing;
    const graceful = closeOptions.graceful ?? true;
    closing = (async () => {
      state = graceful ? 'draining' : 'crashed';
      for (const timer of wakeTimers) clearTimeout(timer);
      wakeTimers.clear();
      for (const consumer of consumers.values()) clearTimeout(consumer.pollTimer);
      if (!graceful) {
        // Like a killed process: nothing more is written, leases simply run out.
        stopTimers();
        for (const job of allRunning()) job.controller.abort(new JobInterruption('crash'));
        // The state stays 'crashed': a write that was still pending must never land.
        await databaseEvents.stop().catch(() => {});
        return;
      }
      await Promise.all([...consumers.values()].map((consumer) => consumer.pumping));
      const timeoutMs = closeOptions.timeoutMs ?? shutdownTimeoutMs;
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(allRunning().map((job) => job.done)),
        new Promise((resolve) => {
          deadline = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(deadline);
      const unfinished = allRunning();
      for (const job of unfinished) job.controller.abort(new JobInterruption('shutdown'));
      await Promise.allSettled(unfinished.map((job) => job.done));
      stopTimers();
      if (startedAt) await repository.removeWorker(workerId).catch((error) => reportError(error, 'removing worker'));
      await databaseEvents.stop().catch((error: unknown) => reportError(error, 'stopping job event listener'));
      state = 'closed';
    })();
    return closing;
  }

  const queue: JobQueue<Catalog> = {
    backend: 'embedded',
    catalog,
    workerId,

    async enqueue(name, payload, enqueueOptions) {
      assertOpen();
      const { definition, delayMs } = checkEnqueue(catalog, name, payload, enqueueOptions);
      const at = clock.now();
      const { row, inserted } = await repository.insert({
        id: enqueueOptions.jobId ?? randomUUID(),
        name,
        environment: enqueueOptions.environment,
        payload,
        trace: enqueueOptions.trace ?? null,
        maxAttempts: definition.attempts,
        runAt: new Date(at + delayMs),
        now: new Date(at),
      });
      const consumer = consumers.get(name);
      if (inserted && consumer) {
        if (delayMs === 0) void pump(consumer);
        else schedulePump(consumer, delayMs);
      }
      return rowToRecord(row, clock.now()) as JobRecord<never>;
    },

    async get(id) {
      const row = await repository.findById(id);
      return row ? rowToRecord(row, clock.now()) : undefined;
    },

    async process(name, handler, processOptions = {}) {
      assertOpen();
      const definition = requireDefinition(catalog, name);
      if (consumers.has(name)) throw new SwitchyardError('SY_ERR_CONFLICT', `'${name}' is already processed here`);
      const concurrency = processOptions.concurrency ?? definition.concurrency;
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'concurrency must be an integer ≥ 1');
      }
      const consumer: Consumer = {
        definition,
        handler,
        concurrency,
        running: new Map(),
        pumping: undefined,
        pumpAgain: false,
        pollTimer: undefined,
      };
      consumers.set(name, consumer);
      startBackgroundTimers();
      await heartbeat().catch((error: unknown) => reportError(error, 'job worker heartbeat failed'));
      void pump(consumer);
    },

    async listDead(listOptions = {}) {
      const rows = await repository.listDead({
        ...(listOptions.name === undefined ? {} : { name: listOptions.name }),
        ...(listOptions.environments === undefined ? {} : { environments: listOptions.environments }),
        limit: clampLimit(listOptions.limit, 50, 1_000),
        offset: Math.max(0, Math.trunc(listOptions.offset ?? 0)),
      });
      const at = clock.now();
      return rows.map((row) => rowToRecord(row, at));
    },

    async replay(id) {
      const replayed = await repository.replay(id, now());
      if ('problem' in replayed) return requireRow(id, 'replayed');
      const consumer = consumers.get(replayed.row.name);
      if (consumer) void pump(consumer);
      return rowToRecord(replayed.row, clock.now());
    },

    async discard(id) {
      const outcome = await repository.discard(id);
      if (outcome !== 'discarded') await requireRow(id, 'discarded');
    },

    async stats(filter = {}) {
      const at = clock.now();
      const counts = await repository.countByName(new Date(at), new Date(at - 60_000), filter.environments);
      return countsToStats(counts, Object.keys(catalog));
    },

    async subscribe(jobId, listener) {
      const remove = hub.add(jobId, listener);
      try {
        await databaseEvents.start((event) => hub.emit(event));
      } catch (error) {
        remove();
        throw error;
      }
      return remove;
    },

    async heartbeats() {
      const rows = await repository.listWorkers();
      return rows.map((row) => ({
        workerId: row.workerId,
        names: row.names,
        active: row.active,
        startedAt: row.startedAt,
        lastSeenAt: row.lastSeenAt,
      }));
    },

    close,
  };
  return queue;
}
