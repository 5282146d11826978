import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { giftProfileAnalyses } from './gift-finder-schema';

export type GiftProfileAnalysisRow = typeof giftProfileAnalyses.$inferSelect;

/** The profile analysis service's table (schema gift_profile). */
export function createGiftProfileRepository(db: Db) {
  return {
    async find(sessionId: string): Promise<GiftProfileAnalysisRow | undefined> {
      const [row] = await db.select().from(giftProfileAnalyses).where(eq(giftProfileAnalyses.sessionId, sessionId));
      return row;
    },
    /** The first analysis stored for a session stays (a redelivered request reuses it). */
    async save(row: GiftProfileAnalysisRow): Promise<GiftProfileAnalysisRow> {
      await db.insert(giftProfileAnalyses).values(row).onConflictDoNothing();
      const [stored] = await db
        .select()
        .from(giftProfileAnalyses)
        .where(eq(giftProfileAnalyses.sessionId, row.sessionId));
      return stored ?? row;
    },
  };
}
export type GiftProfileRepository = ReturnType<typeof createGiftProfileRepository>;
