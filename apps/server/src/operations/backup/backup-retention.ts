import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface RetentionPolicy {
  readonly keepDaily: number;
  readonly keepWeekly: number;
  readonly keepMonthly: number;
}

/** `switchyard-backup-2026-12-03T02-30-00Z.tar.gz`: sortable, and the time needs no file metadata. */
const namePattern = /^switchyard-backup-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z\.tar\.gz$/;

export function backupFileName(at: Date): string {
  return `switchyard-backup-${at.toISOString().slice(0, 19).replaceAll(':', '-')}Z.tar.gz`;
}

export function backupTime(name: string): Date | null {
  const match = namePattern.exec(name);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match;
  return new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

/** Monday-based week number since the epoch (UTC): weeks never straddle a year boundary oddly. */
function weekOf(at: Date): number {
  const days = Math.floor(at.getTime() / 86_400_000);
  // 1970-01-01 was a Thursday: shift so weeks start on Monday.
  return Math.floor((days + 3) / 7);
}

/**
 * Grandfather-father-son retention: the newest backup of each of the last `keepDaily` days that have
 * one, of each of the last `keepWeekly` weeks and of the last `keepMonthly` months (UTC) is kept; the
 * rest go. Returns the names to keep.
 */
export function backupsToKeep(names: readonly string[], policy: RetentionPolicy): Set<string> {
  const dated = names
    .map((name) => ({ name, at: backupTime(name) }))
    .filter((entry): entry is { name: string; at: Date } => entry.at !== null)
    .sort((left, right) => right.at.getTime() - left.at.getTime());
  const keep = new Set<string>();
  const bucket = (count: number, period: (at: Date) => string | number) => {
    const seen = new Set<string | number>();
    for (const entry of dated) {
      const key = period(entry.at);
      if (seen.has(key)) continue;
      if (seen.size >= count) break;
      seen.add(key);
      keep.add(entry.name);
    }
  };
  bucket(policy.keepDaily, (at) => at.toISOString().slice(0, 10));
  bucket(policy.keepWeekly, weekOf);
  bucket(policy.keepMonthly, (at) => at.toISOString().slice(0, 7));
  return keep;
}

/** Deletes the backups in `directory` that the policy does not keep; files not named as backups stay. */
export async function pruneBackups(directory: string, policy: RetentionPolicy): Promise<string[]> {
  const names = (await readdir(directory).catch(() => [] as string[])).filter((name) => backupTime(name) !== null);
  const keep = backupsToKeep(names, policy);
  const removed = names.filter((name) => !keep.has(name)).sort();
  for (const name of removed) await rm(join(directory, name), { force: true });
  return removed;
}
