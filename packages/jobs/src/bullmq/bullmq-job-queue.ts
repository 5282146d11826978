import { randomUUID } from 'node:crypto';
import { type Environment, SwitchyardError } from '@switchyard/core';
import { type Job, type JobType, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type JobCatalog, type JobDefinition, retryDelayMs } from '../catalog';
import { checkEnqueue, clampLimit, defaultWorkerId, requireDefinition } from '../enqueue-checks';
import { createEventHub } from '../event-hub';
import { isUnrecoverable, jobErrorCodes } from '../failure';
import { addCounts, emptyStats } from '../job-counts';
import {
  type Clock,
  type JobCounts,
  type JobEvent,
  type JobQueue,
  type JobRecord,
  type JsonValue,
  systemClock,
  type WorkerHeartbeat,
} from '../job-queue';
import { JobInterruption, runAttempt } from '../run-attempt';
import { decodeError, encodeError, type JobEnvelope, jobToRecord, type ProgressEnvelope } from './job-mapping';

export interface BullmqJobQueueOptions<Catalog extends JobCatalog> {
  redisUrl: string;
  catalog: Catalog;
  /** Prefix of every Redis key (BullMQ's `prefix`). Default 'sy'. */
  prefix?: string;
  /** Used for heartbeats and event times; BullMQ itself schedules by the Redis clients' clocks. */
  clock?: Clock;
  workerId?: string;
  /** BullMQ `lockDuration`: a worker that stops renewing loses its jobs after this. Default 30 s. */
  lockDurationMs?: number;
  /** BullMQ `stalledInterval`: how often workers look for jobs whose lock ran out. Default 30 s. */
  stalledIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** BullMQ `removeOnComplete`. Default: a day, at most 10,000 per job name. */
  retainCompleted?: { ageSeconds: number; count: number };
  /** Default for close({ graceful: true }). Default 10 s. */
  shutdownTimeoutMs?: number;
  onError?: (error: unknown, context: string) => void;
  /** Applied to every failure message before it is stored (BullMQ's failedReason) or published. */
  scrubErrorMessage?: (message: string) => string;
}

type State = 'running' | 'draining' | 'crashed' | 'closed';

/** BullMQ keeps delayed jobs in a sorted set scored by due time × 4096 (plus a counter). */
const delayedScoreFactor = 0x1000;
const backoffType = 'switchyard';

/**
 * BullMQ on Redis, one BullMQ queue per job name. The dead-letter queue is
 * BullMQ's `failed` set: with retries going to `delayed`, a job only lands in
 * `failed` when it is out of attempts or not retryable, and it stays there
 * (removeOnFail: false) until replayed (job.retry) or discarded. Stalled jobs
 * (lock not renewed: crashed worker) go back to wait by BullMQ's stall check.
 */
export function createBullmqJobQueue<Catalog extends JobCatalog>(
  options: BullmqJobQueueOptions<Catalog>,
): JobQueue<Catalog> {
  const { catalog } = options;
  const prefix = options.prefix ?? 'sy';
  const clock = options.clock ?? systemClock;
  const workerId = options.workerId ?? defaultWorkerId();
  const lockDurationMs = options.lockDurationMs ?? 30_000;
  const stalledIntervalMs = options.stalledIntervalMs ?? 30_000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const retainCompleted = options.retainCompleted ?? { ageSeconds: 24 * 60 * 60, count: 10_000 };
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/jobs] ${context}:`, error));
  const eventsChannel = `${prefix}:_events`;
  const heartbeatKey = (id: string) => `${prefix}:_workers:${id}`;

  // Queues and the workers' non-blocking commands share one connection; BullMQ
  // gives each worker its own blocking connection.
  const client = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  client.on('error', (error) => reportError(error, 'Redis connection failed'));
  const hub = createEventHub(reportError);
  const queues = new Map<string, Queue>();
  for (const name of Object.keys(catalog)) {
    const queue = new Queue(name, { connection: client, prefix });
    queue.on('error', (error) => reportError(error, `BullMQ queue '${name}' failed`));
    queues.set(name, queue);
  }
  const workers = new Map<string, Worker>();
  /** The interrupt switch of every attempt this instance is running. */
  const active = new Map<string, AbortController>();
  let state: State = 'running';
  let closing: Promise<void> | undefined;
  let subscriber: Redis | undefined;
  let subscribed: Promise<unknown> | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let startedAt: Date | undefined;

  function queueFor(name: string): Queue {
    const queue = queues.get(name);
    if (!queue) throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown job '${name}'`);
    return queue;
  }

  function publish(event: JobEvent): void {
    client
      .publish(eventsChannel, JSON.stringify(event))
      .catch((error: unknown) => reportError(error, 'publishing a job event failed'));
  }

  function receive(message: string): void {
    const event = JSON.parse(message) as JobEvent;
    if (event.type === 'failed' && event.retryAt !== null) event.retryAt = new Date(event.retryAt);
    hub.emit(event);
  }

  async function find(id: string): Promise<Job | undefined> {
    const found = await Promise.all([...queues.values()].map((queue) => queue.getJob(id)));
    return found.find((job) => job !== undefined);
  }

  async function toRecord(found: Job, knownState?: string): Promise<JobRecord> {
    let job = found;
    const state = knownState ?? (await job.getState());
    if ((state === 'completed' || state === 'failed') && !job.finishedOn && job.id) {
      // The job finished between reading it and reading its state: read it again for its result or error.
      job = (await queueFor(job.name).getJob(job.id)) ?? job;
    }
    let delayedUntil: number | null = null;
    if (state === 'delayed' && job.id) {
      const score = await client.zscore(queueFor(job.name).keys.delayed ?? '', job.id);
      if (score !== null) delayedUntil = Math.floor(Number(score) / delayedScoreFactor);
    }
    return jobToRecord(job, state, delayedUntil);
  }

  /**
   * BullMQ keeps one queue per job name with no index by environment (it rides in the job's data), so an
   * environment-narrowed read walks the state's jobs newest first in pages and keeps the matching ones,
   * up to `wanted`. Only admins of a single environment pay for this walk.
   */
  async function jobsOfEnvironments(
    queue: Queue,
    states: JobType[],
    environments: readonly Environment[],
    wanted = Number.POSITIVE_INFINITY,
  ): Promise<Job[]> {
    const page = 500;
    const matching: Job[] = [];
    for (let start = 0; matching.length < wanted; start += page) {
      const batch = (await queue.getJobs(states, start, start + page - 1)).filter(
        (job): job is Job => job !== undefined,
      );
      for (const job of batch) {
        if (environments.includes((job.data as JobEnvelope).environment)) matching.push(job);
      }
      if (batch.length < page) break;
    }
    return matching.slice(0, wanted);
  }

  /** Per-name counts of only the given environments' jobs (see jobsOfEnvironments). */
  async function countOfEnvironments(
    queue: Queue,
    environments: readonly Environment[],
    since: number,
  ): Promise<[JobCounts, { completed: number; dead: number }]> {
    const [waiting, delayed, active, completed, dead] = await Promise.all(
      (
        [['wait', 'prioritized', 'waiting-children'], ['delayed'], ['active'], ['completed'], ['failed']] as JobType[][]
      ).map((states) => jobsOfEnvironments(queue, states, environments)),
    );
    const recent = (jobs: Job[] | undefined) => (jobs ?? []).filter((job) => (job.finishedOn ?? 0) > since).length;
    return [
      {
        waiting: waiting?.length ?? 0,
        delayed: delayed?.length ?? 0,
        active: active?.length ?? 0,
        completed: completed?.length ?? 0,
        dead: dead?.length ?? 0,
      },
      { completed: recent(completed), dead: recent(dead) },
    ];
  }

  async function requireDead(id: string, action: string): Promise<Job> {
    const job = await find(id);
    if (!job) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No job '${id}'`);
    const state = await job.getState();
    if (state !== 'failed') {
      const status = (await toRecord(job, state)).status;
      throw new SwitchyardError('SY_ERR_CONFLICT', `Job '${id}' is ${status}; only dead jobs can be ${action}`);
    }
    return job;
  }

  function createProcessor(definition: JobDefinition, handler: Parameters<JobQueue<Catalog>['process']>[1]) {
    return async (job: Job, token?: string, signal?: AbortSignal): Promise<JsonValue> => {
      // A closed or "crashed" instance must not run anything, not even a job fetched a moment before.
      if (state === 'crashed' || state === 'closed') return new Promise<never>(() => {});
      const jobId = job.id ?? '';
      const envelope = job.data as JobEnvelope;
      const controller = new AbortController();
      const onLockLost = () => controller.abort(new JobInterruption('lease-lost'));
      signal?.addEventListener('abort', onLockLost, { once: true });
      active.set(jobId, controller);
      try {
        const outcome = await runAttempt({
          definition,
          handler,
          job: {
            id: jobId,
            name: job.name,
            environment: envelope.environment,
            payload: envelope.payload,
            trace: envelope.trace ?? null,
            attempt: job.attemptsStarted,
            maxAttempts: job.opts.attempts ?? 1,
          },
          interrupt: controller.signal,
          scrubErrorMessage: options.scrubErrorMessage,
          async reportProgress(data: JsonValue) {
            if (controller.signal.aborted) return;
            await job.updateProgress({ data } satisfies ProgressEnvelope);
            publish({ type: 'progress', jobId, name: job.name, data });
          },
        });
        switch (outcome.kind) {
          case 'completed':
            return outcome.result;
          case 'failed':
            throw outcome.retryable
              ? new Error(encodeError(outcome.error))
              : new UnrecoverableError(encodeError(outcome.error));
          case 'interrupted':
            if (outcome.reason === 'crash') return new Promise<never>(() => {});
            if (outcome.reason === 'shutdown') {
              // Back to wait; WaitingError tells BullMQ the job was already moved and is not a failure.
              await job.moveToWait(token);
              throw new WaitingError();
            }
            throw new Error(encodeError({ code: jobErrorCodes.lost, message: 'the job lock was lost' }));
        }
      } finally {
        signal?.removeEventListener('abort', onLockLost);
        active.delete(jobId);
      }
    };
  }

  function onWorkerFailed(definition: JobDefinition, job: Job | undefined, error: Error): void {
    if (!job?.id || error instanceof WaitingError || error.name === 'WaitingError') return;
    const maxAttempts = job.opts.attempts ?? 1;
    // Mirrors BullMQ's retry decision; attemptsMade already counts this failure.
    const dead = isUnrecoverable(error) || job.attemptsMade >= maxAttempts || job.attemptsStarted >= maxAttempts;
    publish({
      type: 'failed',
      jobId: job.id,
      name: job.name,
      attempt: Math.min(job.attemptsStarted, maxAttempts),
      error: decodeError(error.message) ?? { code: null, message: error.name },
      dead,
      retryAt: dead ? null : new Date(clock.now() + retryDelayMs(definition, job.attemptsMade)),
    });
  }

  async function heartbeat(): Promise<void> {
    const at = new Date(clock.now());
    startedAt ??= at;
    const beat: WorkerHeartbeat = {
      workerId,
      names: [...workers.keys()],
      active: active.size,
      startedAt,
      lastSeenAt: at,
    };
    await client.set(heartbeatKey(workerId), JSON.stringify(beat), 'PX', heartbeatIntervalMs * 3);
  }

  async function close(closeOptions: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (closing) return closing;
    const graceful = closeOptions.graceful ?? true;
    closing = (async () => {
      clearInterval(heartbeatTimer);
      if (!graceful) {
        // Like a killed process: running jobs keep their lock until it expires, then the stall check frees them.
        state = 'crashed';
        for (const controller of active.values()) controller.abort(new JobInterruption('crash'));
        await Promise.allSettled([...workers.values()].map((worker) => worker.close(true)));
        subscriber?.disconnect();
        client.disconnect();
        // The state stays 'crashed': BullMQ may still hand over a job it fetched before the close.
        return;
      }
      state = 'draining';
      const closingWorkers = Promise.allSettled([...workers.values()].map((worker) => worker.close()));
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        closingWorkers.then(() => false),
        new Promise<boolean>((resolve) => {
          deadline = setTimeout(() => resolve(true), closeOptions.timeoutMs ?? shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(deadline);
      if (timedOut) for (const controller of active.values()) controller.abort(new JobInterruption('shutdown'));
      await closingWorkers;
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      if (startedAt) await client.del(heartbeatKey(workerId)).catch(() => {});
      await subscriber?.quit().catch(() => {});
      await client.quit().catch(() => {});
      state = 'closed';
    })();
    return closing;
  }

  function assertOpen(): void {
    if (state !== 'running') throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'The job queue is closed');
  }

  const jobQueue: JobQueue<Catalog> = {
    backend: 'bullmq',
    catalog,
    workerId,

    async enqueue(name, payload, enqueueOptions) {
      assertOpen();
      const { definition, delayMs } = checkEnqueue(catalog, name, payload, enqueueOptions);
      const id = enqueueOptions.jobId ?? randomUUID();
      const envelope: JobEnvelope = {
        environment: enqueueOptions.environment,
        payload,
        ...(enqueueOptions.trace ? { trace: enqueueOptions.trace } : {}),
      };
      const job = await queueFor(name).add(name, envelope, {
        jobId: id,
        ...(delayMs > 0 ? { delay: delayMs } : {}),
        attempts: definition.attempts,
        backoff: { type: backoffType },
        removeOnComplete: { age: retainCompleted.ageSeconds, count: retainCompleted.count },
        removeOnFail: false,
      });
      if (enqueueOptions.jobId === undefined) {
        return jobToRecord(
          job,
          delayMs > 0 ? 'delayed' : 'waiting',
          delayMs > 0 ? job.timestamp + delayMs : null,
        ) as JobRecord<never>;
      }
      // BullMQ ignores an add with a known id; report what is actually stored.
      const stored = await find(id);
      if (!stored) throw new SwitchyardError('SY_ERR_INTERNAL', `Job '${id}' vanished right after it was added`);
      return (await toRecord(stored)) as JobRecord<never>;
    },

    async get(id) {
      const job = await find(id);
      return job ? toRecord(job) : undefined;
    },

    async process(name, handler, processOptions = {}) {
      assertOpen();
      const definition = requireDefinition(catalog, name);
      if (workers.has(name)) throw new SwitchyardError('SY_ERR_CONFLICT', `'${name}' is already processed here`);
      const concurrency = processOptions.concurrency ?? definition.concurrency;
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'concurrency must be an integer ≥ 1');
      }
      const worker = new Worker(name, createProcessor(definition, handler), {
        connection: client,
        prefix,
        name: workerId,
        concurrency,
        lockDuration: lockDurationMs,
        stalledInterval: stalledIntervalMs,
        // Every start counts as an attempt, a crashed one too (like the embedded backend), so a job
        // that kills its worker cannot loop forever; the stall limit never binds before that.
        maxStartedAttempts: definition.attempts,
        maxStalledCount: definition.attempts,
        settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(definition, attemptsMade) },
      });
      worker.on('error', (error) => reportError(error, `BullMQ worker '${name}' failed`));
      worker.on('completed', (job, result) => {
        if (!job.id) return;
        const attempt = Math.min(job.attemptsStarted, job.opts.attempts ?? 1);
        publish({ type: 'completed', jobId: job.id, name: job.name, attempt, result: (result ?? null) as JsonValue });
      });
      worker.on('failed', (job, error) => onWorkerFailed(definition, job, error));
      workers.set(name, worker);
      if (!heartbeatTimer) {
        heartbeatTimer = setInterval(() => {
          heartbeat().catch((error: unknown) => reportError(error, 'job worker heartbeat failed'));
        }, heartbeatIntervalMs);
        heartbeatTimer.unref();
      }
      await heartbeat();
      await worker.waitUntilReady();
    },

    async listDead(listOptions = {}) {
      const limit = clampLimit(listOptions.limit, 50, 1_000);
      const offset = Math.max(0, Math.trunc(listOptions.offset ?? 0));
      const names = listOptions.name === undefined ? [...queues.keys()] : [listOptions.name];
      const wanted = offset + limit;
      const perQueue = await Promise.all(
        names
          .filter((name) => queues.has(name))
          .map((name) =>
            listOptions.environments === undefined
              ? queueFor(name).getJobs(['failed'], 0, wanted - 1)
              : jobsOfEnvironments(queueFor(name), ['failed'], listOptions.environments, wanted),
          ),
      );
      const jobs = perQueue
        .flat()
        .filter((job): job is Job => job !== undefined)
        .sort((left, right) => (right.finishedOn ?? 0) - (left.finishedOn ?? 0))
        .slice(offset, offset + limit);
      return jobs.map((job) => jobToRecord(job, 'failed', null));
    },

    async replay(id) {
      const job = await requireDead(id, 'replayed');
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      // Built from the retried job, not read back: a worker may already have taken it.
      return jobToRecord(job, 'waiting', null);
    },

    async discard(id) {
      const job = await requireDead(id, 'discarded');
      await job.remove();
    },

    async stats(filter = {}) {
      const since = clock.now() - 60_000;
      const stats = emptyStats([...queues.keys()]);
      const { environments } = filter;
      await Promise.all(
        [...queues.entries()].map(async ([name, queue]) => {
          if (environments !== undefined) {
            addCounts(stats, name, ...(await countOfEnvironments(queue, environments, since)));
            return;
          }
          const [counts, completedRecently, deadRecently] = await Promise.all([
            queue.getJobCounts('wait', 'prioritized', 'waiting-children', 'delayed', 'active', 'completed', 'failed'),
            client.zcount(queue.keys.completed ?? '', `(${since}`, '+inf'),
            client.zcount(queue.keys.failed ?? '', `(${since}`, '+inf'),
          ]);
          const count = (key: string) => counts[key] ?? 0;
          const perName = {
            waiting: count('wait') + count('prioritized') + count('waiting-children'),
            delayed: count('delayed'),
            active: count('active'),
            completed: count('completed'),
            dead: count('failed'),
          };
          addCounts(stats, name, perName, { completed: completedRecently, dead: deadRecently });
        }),
      );
      return stats;
    },

    async subscribe(jobId, listener) {
      const remove = hub.add(jobId, listener);
      if (!subscriber) {
        subscriber = client.duplicate();
        subscriber.on('error', (error) => reportError(error, 'Redis event subscriber failed'));
        subscriber.on('message', (_channel: string, message: string) => {
          try {
            receive(message);
          } catch (error) {
            reportError(error, 'job event message could not be read');
          }
        });
        subscribed = subscriber.subscribe(eventsChannel);
      }
      try {
        await subscribed;
      } catch (error) {
        remove();
        throw error;
      }
      return remove;
    },

    async heartbeats() {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', heartbeatKey('*'), 'COUNT', 200);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      if (keys.length === 0) return [];
      const values = await client.mget(...keys);
      return values
        .filter((value): value is string => value !== null)
        .map((value) => {
          const beat = JSON.parse(value) as WorkerHeartbeat;
          return { ...beat, startedAt: new Date(beat.startedAt), lastSeenAt: new Date(beat.lastSeenAt) };
        })
        .sort((left, right) => right.lastSeenAt.getTime() - left.lastSeenAt.getTime());
    },

    close,
  };
  return jobQueue;
}
