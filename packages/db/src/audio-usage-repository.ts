import type { Environment } from '@switchyard/core';
import { and, eq, sql } from 'drizzle-orm';
import { audioUsage } from './audio-schema';
import type { Db } from './client';
import type { DailyCounter } from './daily-counter';

/** Seconds of audio per caller and UTC day: the counter of the daily audio quota. */
export type AudioUsageRepository = DailyCounter;

export function createAudioUsageRepository(db: Db): AudioUsageRepository {
  const usageRow = (environment: Environment, subject: string, day: string) =>
    and(eq(audioUsage.environment, environment), eq(audioUsage.subject, subject), eq(audioUsage.day, day));
  return {
    async incrementDailyCount(environment, subject, day, limit, amount = 1) {
      if (amount > limit) return undefined;
      const rows = await db
        .insert(audioUsage)
        .values({ environment, subject, day, seconds: amount })
        .onConflictDoUpdate({
          target: [audioUsage.environment, audioUsage.subject, audioUsage.day],
          set: { seconds: sql`${audioUsage.seconds} + ${amount}` },
          setWhere: sql`${audioUsage.seconds} + ${amount} <= ${limit}`,
        })
        .returning({ seconds: audioUsage.seconds });
      return rows[0]?.seconds;
    },
    async decrementDailyCount(environment, subject, day, amount = 1) {
      await db
        .update(audioUsage)
        .set({ seconds: sql`GREATEST(${audioUsage.seconds} - ${amount}, 0)` })
        .where(usageRow(environment, subject, day));
    },
    async dailyCount(environment, subject, day) {
      const [row] = await db
        .select({ seconds: audioUsage.seconds })
        .from(audioUsage)
        .where(usageRow(environment, subject, day));
      return row?.seconds ?? 0;
    },
  };
}
