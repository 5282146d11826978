import type { JobCounts, JobQueueStats } from './job-queue';

export function emptyCounts(): JobCounts {
  return { waiting: 0, delayed: 0, active: 0, completed: 0, dead: 0 };
}

/** Stats with every catalog name present, so dashboards see idle jobs as zeros rather than missing. */
export function emptyStats(names: readonly string[]): JobQueueStats {
  const stats: JobQueueStats = { ...emptyCounts(), byName: {}, rates: { completedPerMinute: 0, deadPerMinute: 0 } };
  for (const name of names) stats.byName[name] = emptyCounts();
  return stats;
}

export function addCounts(
  stats: JobQueueStats,
  name: string,
  counts: JobCounts,
  recently: { completed: number; dead: number },
): void {
  stats.byName[name] = counts;
  stats.waiting += counts.waiting;
  stats.delayed += counts.delayed;
  stats.active += counts.active;
  stats.completed += counts.completed;
  stats.dead += counts.dead;
  stats.rates.completedPerMinute += recently.completed;
  stats.rates.deadPerMinute += recently.dead;
}
