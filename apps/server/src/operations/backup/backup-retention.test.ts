import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupFileName, backupsToKeep, pruneBackups } from './backup-retention';

const defaults = { keepDaily: 7, keepWeekly: 4, keepMonthly: 6 };
const day = 86_400_000;

describe('backup retention (7 daily, 4 weekly, 6 monthly by default)', () => {
  it('a year of nightly backups, pruned each night as the scheduled job does, settles on the policy', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-retention-'));
    writeFileSync(join(directory, 'notes.txt'), 'not a backup: never pruned');
    // A test clock: one backup per night at 02:30 UTC from 2026-01-01 (a Thursday) for 365 nights.
    const start = Date.parse('2026-01-01T02:30:00Z');
    return (async () => {
      for (let night = 0; night < 365; night += 1) {
        writeFileSync(join(directory, backupFileName(new Date(start + night * day))), 'x');
        await pruneBackups(directory, defaults);
      }
      const kept = readdirSync(directory).sort();
      expect(kept).toContain('notes.txt');
      const backups = kept.filter((name) => name !== 'notes.txt').map((name) => name.slice(18, 28));
      expect(backups).toEqual([
        // monthly: the newest of each of the last 6 months (December's is 12-31, also a daily one)
        '2026-07-31',
        '2026-08-31',
        '2026-09-30',
        '2026-10-31',
        '2026-11-30',
        // weekly: the newest of each of the last 4 Monday-based weeks (the two newest are daily ones too)
        '2026-12-13',
        '2026-12-20',
        // daily: the last 7 days
        '2026-12-25',
        '2026-12-26',
        '2026-12-27',
        '2026-12-28',
        '2026-12-29',
        '2026-12-30',
        '2026-12-31',
      ]);
    })();
  });

  it('keeps the newest backup of a day, counts only days that have one, and is configurable', () => {
    const names = [
      'switchyard-backup-2026-03-10T02-30-00Z.tar.gz',
      'switchyard-backup-2026-03-10T14-00-00Z.tar.gz',
      'switchyard-backup-2026-03-01T02-30-00Z.tar.gz',
      'switchyard-backup-2026-01-15T02-30-00Z.tar.gz',
      'switchyard-backup-not-a-date.tar.gz',
    ];
    expect([...backupsToKeep(names, { keepDaily: 2, keepWeekly: 0, keepMonthly: 0 })].sort()).toEqual([
      'switchyard-backup-2026-03-01T02-30-00Z.tar.gz',
      'switchyard-backup-2026-03-10T14-00-00Z.tar.gz',
    ]);
    expect([...backupsToKeep(names, { keepDaily: 1, keepWeekly: 0, keepMonthly: 3 })].sort()).toEqual([
      'switchyard-backup-2026-01-15T02-30-00Z.tar.gz',
      'switchyard-backup-2026-03-10T14-00-00Z.tar.gz',
    ]);
    expect(backupsToKeep(names, { keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }).size).toBe(0);
  });
});
