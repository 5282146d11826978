import type { Environment } from '@switchyard/core';
import type { JobCatalog, JobName, JobPayload } from './catalog';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * `waiting`: due, not yet taken; `delayed`: due later (first run or a retry);
 * `active`: a worker holds it; `completed`; `dead`: in the dead-letter queue.
 */
export type JobStatus = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead';

export interface JobError {
  message: string;
  /** A stable `SY_ERR_*` code when the failure had one. */
  code: string | null;
}

export interface JobRecord<Payload = unknown> {
  id: string;
  name: string;
  environment: Environment;
  payload: Payload;
  status: JobStatus;
  /** Attempts started so far (0 before the first). */
  attempts: number;
  maxAttempts: number;
  /** When the job is (or was) due. */
  runAt: Date;
  lastError: JobError | null;
  result: JsonValue | null;
  progress: JsonValue | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set when the job completed or went to the dead-letter queue. */
  finishedAt: Date | null;
}

/**
 * Who caused a job: the id of the HTTP request that enqueued it and its W3C trace context, so the
 * job's log lines carry the request id and its span joins the request's trace. Stored with the job.
 */
export interface JobTrace {
  requestId?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface EnqueueOptions {
  environment: Environment;
  /** Set by the server's queue from the request being served; absent: the job has no origin request. */
  trace?: JobTrace;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /**
   * Deduplication: enqueueing an id that exists returns the existing job and
   * adds nothing. Ids are unique per job name on BullMQ and across names on the
   * embedded backend, so prefix them with something job-specific.
   */
  jobId?: string;
}

export interface JobContext<Payload> {
  id: string;
  name: string;
  environment: Environment;
  payload: Payload;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** What the job was enqueued with (request id, trace context); null when nothing was. */
  trace?: JobTrace | null;
  /** Fires on timeout, shutdown and when the job's lease was lost; stop work and throw when it does. */
  signal: AbortSignal;
  /** Stored on the job and sent to subscribers as a `progress` event. */
  reportProgress(data: JsonValue): Promise<void>;
}

export type JobHandler<Payload> = (
  context: JobContext<Payload>,
) => Promise<JsonValue | undefined> | JsonValue | undefined;

export type JobEvent =
  | { type: 'progress'; jobId: string; name: string; data: JsonValue }
  | { type: 'completed'; jobId: string; name: string; attempt: number; result: JsonValue }
  | {
      type: 'failed';
      jobId: string;
      name: string;
      attempt: number;
      error: JobError;
      /** true: the job went to the dead-letter queue; false: it is retried at `retryAt`. */
      dead: boolean;
      retryAt: Date | null;
    };

export type JobEventListener = (event: JobEvent) => void;

export interface ProcessOptions {
  /** Default: the catalog's concurrency for the job. */
  concurrency?: number;
}

/** Admin reads narrowed to the environments the caller administers; every environment when absent. */
export interface EnvironmentFilter {
  environments?: readonly Environment[];
}

export interface ListDeadOptions extends EnvironmentFilter {
  name?: string;
  /** Default 50, at most 1,000. */
  limit?: number;
  offset?: number;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  dead: number;
}

export interface JobQueueStats extends JobCounts {
  byName: Record<string, JobCounts>;
  /** Over the last minute, by finish time. */
  rates: { completedPerMinute: number; deadPerMinute: number };
}

export interface WorkerHeartbeat {
  workerId: string;
  /** Job names this worker processes. */
  names: string[];
  /** Jobs it was running at its last heartbeat. */
  active: number;
  startedAt: Date;
  lastSeenAt: Date;
}

export interface CloseOptions {
  /**
   * true (default): stop taking jobs, let running ones finish for up to
   * `timeoutMs`, then abort the rest and hand them back to the queue as
   * waiting, without using up an attempt. false: stop at once like a crash;
   * running jobs are picked up by another worker after their lease ran out.
   */
  graceful?: boolean;
  timeoutMs?: number;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * The durable job platform: one interface over the embedded backend (rows in
 * PGlite or PostgreSQL) and BullMQ on Redis. Delivery is at-least-once: a job
 * whose worker died runs again, so handlers must be idempotent.
 */
export interface JobQueue<Catalog extends JobCatalog = JobCatalog> {
  readonly backend: 'embedded' | 'bullmq';
  readonly catalog: Catalog;
  /** Identifies this instance's workers in heartbeats and leases. */
  readonly workerId: string;
  /** Validates the payload against the catalog (SY_ERR_VALIDATION) and stores the job. */
  enqueue<Name extends JobName<Catalog>>(
    name: Name,
    payload: JobPayload<Catalog, Name>,
    options: EnqueueOptions,
  ): Promise<JobRecord<JobPayload<Catalog, Name>>>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Starts consuming `name` in this process; once per name and instance. */
  process<Name extends JobName<Catalog>>(
    name: Name,
    handler: JobHandler<JobPayload<Catalog, Name>>,
    options?: ProcessOptions,
  ): Promise<void>;
  /** Newest first; only the named environments' jobs when `environments` is given. */
  listDead(options?: ListDeadOptions): Promise<JobRecord[]>;
  /** Moves a dead job back to waiting with its attempts reset; SY_ERR_NOT_FOUND / SY_ERR_CONFLICT otherwise. */
  replay(id: string): Promise<JobRecord>;
  /** Deletes a dead job; SY_ERR_NOT_FOUND / SY_ERR_CONFLICT when there is no such dead job. */
  discard(id: string): Promise<void>;
  /** Counts of the named environments' jobs only, when named. */
  stats(options?: EnvironmentFilter): Promise<JobQueueStats>;
  /** Resolves once events for `jobId` will be delivered; the returned function unsubscribes. */
  subscribe(jobId: string, listener: JobEventListener): Promise<() => void>;
  /** Workers of every process on the same store, with when each was last seen. */
  heartbeats(): Promise<WorkerHeartbeat[]>;
  close(options?: CloseOptions): Promise<void>;
}
