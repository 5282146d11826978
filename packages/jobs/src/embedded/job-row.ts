import type { JobRow, JobStatusCount } from '@switchyard/db';
import type { JobCounts, JobQueueStats, JobRecord, JobStatus, JsonValue } from '../job-queue';

/** A delayed row whose time has come is reported as waiting, like BullMQ promotes it. */
export function rowToRecord(row: JobRow, now: number): JobRecord {
  const status: JobStatus = row.status === 'delayed' && row.runAt.getTime() <= now ? 'waiting' : row.status;
  return {
    id: row.id,
    name: row.name,
    environment: row.environment,
    payload: row.payload,
    status,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    runAt: row.runAt,
    lastError: row.lastError ?? null,
    result: (row.result ?? null) as JsonValue | null,
    progress: (row.progress ?? null) as JsonValue | null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

export function emptyCounts(): JobCounts {
  return { waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0 };
}

export function countsToStats(counts: readonly JobStatusCount[], names: readonly string[]): JobQueueStats {
  const stats: JobQueueStats = { ...emptyCounts(), byName: {}, rates: { completedPerMinute: 0, deadPerMinute: 0 } };
  for (const name of names) stats.byName[name] = emptyCounts();
  for (const count of counts) {
    const perName: JobCounts = {
      waiting: count.waiting,
      delayed: count.delayed,
      active: count.active,
      completed: count.completed,
      dead: count.dead,
    };
    stats.byName[count.name] = perName;
    stats.waiting += perName.waiting;
    stats.delayed += perName.delayed;
    stats.active += perName.active;
    stats.completed += perName.completed;
    stats.dead += perName.dead;
    stats.rates.completedPerMinute += count.completedRecently;
    stats.rates.deadPerMinute += count.deadRecently;
  }
  return stats;
}
