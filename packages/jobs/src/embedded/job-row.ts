import type { JobRow, JobStatusCount } from '@switchyard/db';
import { addCounts, emptyStats } from '../job-counts';
import type { JobQueueStats, JobRecord, JobStatus, JsonValue } from '../job-queue';

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

export function countsToStats(counts: readonly JobStatusCount[], names: readonly string[]): JobQueueStats {
  const stats = emptyStats(names);
  for (const count of counts) {
    const { name, completedRecently, deadRecently, ...perName } = count;
    addCounts(stats, name, perName, { completed: completedRecently, dead: deadRecently });
  }
  return stats;
}
