import type { Environment } from '@switchyard/core';
import type { Logger } from 'pino';
import type { Metrics } from '../infrastructure/metrics';

export interface UsageRow {
  environment: Environment;
  apiKeyId: string | null;
  clientIp: string | null;
  method: string;
  route: string;
  model: string | null;
  status: number;
  latencyMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Seconds of audio sent for transcription, when the request was one. */
  audioSeconds?: number | null;
  /** The signed-in user or the key's owner. */
  userId?: string | null;
  /** The project whose plan's budget counted the request. */
  projectId?: string | null;
  /** A caller outside HTTP (`whatsapp:+<number>`), as its budget is counted: what a restart reloads it by. */
  subject?: string | null;
  /** US dollars by the price table. */
  costUsd?: number;
  createdAt: Date;
}

export interface UsageWriter<Row extends { environment: Environment } = UsageRow> {
  /** Queues a row; never waits on the database. */
  record(row: Row): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
  pending(environment: Environment): number;
}

export interface UsageWriterOptions<Row extends { environment: Environment } = UsageRow> {
  insert: Record<Environment, (rows: Row[]) => Promise<void>>;
  logger: Logger;
  /** Counts the rows of the request usage log; other logs (skill calls) leave it out. */
  metrics?: Pick<Metrics, 'usageRowsWritten' | 'usageWriteFailures' | 'usageRowsPending'>;
  /** What the rows are, in log lines. */
  what?: string;
  flushIntervalMs?: number;
  batchSize?: number;
  /** Rows kept while the database is down; beyond this the oldest are dropped and counted. */
  maxBuffered?: number;
}

/**
 * Usage rows are buffered per environment and written in multi-row inserts,
 * off the request path: at most one INSERT per batch, on a timer or when a
 * batch fills. A failed insert keeps its rows for the next attempt.
 */
export function createUsageWriter<Row extends { environment: Environment } = UsageRow>(
  options: UsageWriterOptions<Row>,
): UsageWriter<Row> {
  const what = options.what ?? 'usage rows';
  const batchSize = options.batchSize ?? 500;
  const maxBuffered = options.maxBuffered ?? 200_000;
  const buffers: Record<Environment, Row[]> = { prod: [], dev: [] };
  const flushing: Record<Environment, Promise<void> | null> = { prod: null, dev: null };
  let closed = false;

  const timer = setInterval(() => {
    void flushEnvironment('prod');
    void flushEnvironment('dev');
  }, options.flushIntervalMs ?? 1000);
  timer.unref();

  /**
   * Writes full batches; with `everything`, the remainder too. Under steady load
   * the timer (not each arriving row) decides when a partial batch goes out, so
   * inserts stay large instead of chasing the rows that arrive meanwhile.
   */
  async function writeBatches(environment: Environment, everything: boolean): Promise<void> {
    const buffer = buffers[environment];
    while (buffer.length >= batchSize || (everything && buffer.length > 0)) {
      const batch = buffer.splice(0, batchSize);
      try {
        await options.insert[environment](batch);
        options.metrics?.usageRowsWritten.inc({ environment }, batch.length);
      } catch (error) {
        buffer.unshift(...batch);
        options.metrics?.usageWriteFailures.inc({ environment });
        options.logger.error({ err: error, environment, rows: buffer.length }, `writing ${what} failed; will retry`);
        throw error;
      } finally {
        options.metrics?.usageRowsPending.set({ environment }, buffer.length);
      }
      // Rows that arrived while this batch was written wait for the next timer tick unless a batch is full.
      everything = false;
    }
  }

  function flushEnvironment(environment: Environment, everything = true): Promise<void> {
    const running = flushing[environment];
    if (running) return running;
    if (buffers[environment].length === 0) return Promise.resolve();
    const next = writeBatches(environment, everything)
      .catch(() => {})
      .finally(() => {
        flushing[environment] = null;
      });
    flushing[environment] = next;
    return next;
  }

  return {
    record(row) {
      const buffer = buffers[row.environment];
      buffer.push(row);
      if (buffer.length > maxBuffered) {
        const dropped = buffer.splice(0, buffer.length - maxBuffered);
        options.logger.error(
          { environment: row.environment, dropped: dropped.length },
          `${what}: buffer full; dropped rows`,
        );
      }
      if (buffer.length >= batchSize && !closed) void flushEnvironment(row.environment, false);
    },
    async flush() {
      // A flush already running may have started before the newest rows arrived: wait, then go again.
      for (const environment of ['prod', 'dev'] as const) {
        await flushing[environment];
        while (buffers[environment].length > 0) {
          const before = buffers[environment].length;
          await flushEnvironment(environment);
          if (buffers[environment].length >= before) break;
        }
      }
    },
    async close() {
      closed = true;
      clearInterval(timer);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await this.flush();
        if (buffers.prod.length === 0 && buffers.dev.length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
      options.logger.error(
        { prod: buffers.prod.length, dev: buffers.dev.length },
        `${what} could not be written before shutdown`,
      );
    },
    pending: (environment) => buffers[environment].length,
  };
}
