import { and, eq } from 'drizzle-orm';
import type { Db } from './client';
import { giftFetchBackoffs, giftFetchSearches } from './gift-finder-schema';

/** The marketplace fetchers' tables (schema gift_fetch). */
export function createGiftFetchRepository(db: Db) {
  return {
    /** The products stored for each idea of this session and marketplace. */
    async searches(sessionId: string, marketplace: string): Promise<Map<string, unknown>> {
      const rows = await db
        .select()
        .from(giftFetchSearches)
        .where(and(eq(giftFetchSearches.sessionId, sessionId), eq(giftFetchSearches.marketplace, marketplace)));
      return new Map(rows.map((row) => [row.ideaId, row.products]));
    },
    async saveSearch(
      sessionId: string,
      marketplace: string,
      ideaId: string,
      products: unknown,
      now: Date,
    ): Promise<void> {
      await db
        .insert(giftFetchSearches)
        .values({ sessionId, marketplace, ideaId, products, fetchedAt: now })
        .onConflictDoNothing();
    },
    async notBefore(sessionId: string, marketplace: string): Promise<Date | null> {
      const [row] = await db
        .select()
        .from(giftFetchBackoffs)
        .where(and(eq(giftFetchBackoffs.sessionId, sessionId), eq(giftFetchBackoffs.marketplace, marketplace)));
      return row?.notBefore ?? null;
    },
    async setNotBefore(sessionId: string, marketplace: string, notBefore: Date): Promise<void> {
      await db
        .insert(giftFetchBackoffs)
        .values({ sessionId, marketplace, notBefore })
        .onConflictDoUpdate({
          target: [giftFetchBackoffs.sessionId, giftFetchBackoffs.marketplace],
          set: { notBefore },
        });
    },
  };
}
export type GiftFetchRepository = ReturnType<typeof createGiftFetchRepository>;
