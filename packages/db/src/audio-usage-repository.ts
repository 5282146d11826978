import type { Environment } from '@switchyard/core';
import { and, eq, sql } from 'drizzle-orm';
import { audioUsage } from './audio-schema';
import type { Db } from './client';

export interface AudioUsageRepository {
  /** Adds seconds to the caller's day (a row is made on first use) and returns the new total. */
  add(environment: Environment, subject: string, day: string, seconds: number): Promise<number>;
  /** 0 for a day without a row. */
  secondsOn(environment: Environment, subject: string, day: string): Promise<number>;
}

export function createAudioUsageRepository(db: Db): AudioUsageRepository {
  return {
    async add(environment, subject, day, seconds) {
      const rows = await db
        .insert(audioUsage)
        .values({ environment, subject, day, seconds })
        .onConflictDoUpdate({
          target: [audioUsage.environment, audioUsage.subject, audioUsage.day],
          set: { seconds: sql`${audioUsage.seconds} + ${seconds}` },
        })
        .returning({ seconds: audioUsage.seconds });
      return rows[0]?.seconds ?? seconds;
    },
    async secondsOn(environment, subject, day) {
      const [row] = await db
        .select({ seconds: audioUsage.seconds })
        .from(audioUsage)
        .where(and(eq(audioUsage.environment, environment), eq(audioUsage.subject, subject), eq(audioUsage.day, day)));
      return row?.seconds ?? 0;
    },
  };
}
