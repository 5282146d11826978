import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from './client';
import {
  type GiftRerankResultRow,
  type GiftRerankRoundRow,
  giftRerankResults,
  giftRerankRounds,
} from './gift-finder-schema';

export type GiftRerankRoundChanges = Partial<
  Pick<GiftRerankRoundRow, 'ideas' | 'summary' | 'profileInterests' | 'currency' | 'expected'>
>;

/** The reranker's tables (schema gift_rerank). */
export function createGiftRerankRepository(db: Db) {
  return {
    /**
     * Adds what one event brought (the ideas, or one marketplace's result) under a row lock; returns
     * the round and every result so far. `triggeredBy` names the event that completed it.
     */
    async join(
      sessionId: string,
      changes: GiftRerankRoundChanges,
      result: Omit<GiftRerankResultRow, 'sessionId'> | null,
      eventId: string,
      isComplete: (round: GiftRerankRoundRow, results: GiftRerankResultRow[]) => boolean,
      now: Date,
    ): Promise<{ round: GiftRerankRoundRow; results: GiftRerankResultRow[] }> {
      return db.transaction(async (transaction) => {
        await transaction
          .insert(giftRerankRounds)
          .values({ sessionId, createdAt: now, updatedAt: now })
          .onConflictDoNothing();
        const [current] = await transaction
          .select()
          .from(giftRerankRounds)
          .where(eq(giftRerankRounds.sessionId, sessionId))
          .for('update');
        if (result) {
          await transaction
            .insert(giftRerankResults)
            .values({ sessionId, ...result })
            .onConflictDoNothing();
        }
        const results = await transaction
          .select()
          .from(giftRerankResults)
          .where(eq(giftRerankResults.sessionId, sessionId));
        const defined = Object.fromEntries(
          Object.entries(changes).filter(([, value]) => value !== undefined && value !== null),
        );
        // The first marketplace list to arrive is the round's.
        if (current?.expected) delete defined.expected;
        const round = { ...(current as GiftRerankRoundRow), ...defined, updatedAt: now } as GiftRerankRoundRow;
        if (round.triggeredBy === null && isComplete(round, results)) round.triggeredBy = eventId;
        await transaction
          .update(giftRerankRounds)
          .set({ ...defined, triggeredBy: round.triggeredBy, updatedAt: now })
          .where(eq(giftRerankRounds.sessionId, sessionId));
        return { round, results };
      });
    },
    async saveRanking(sessionId: string, ranking: unknown, now: Date): Promise<unknown> {
      await db
        .update(giftRerankRounds)
        .set({ ranking, updatedAt: now })
        .where(and(eq(giftRerankRounds.sessionId, sessionId), isNull(giftRerankRounds.ranking)));
      const [row] = await db.select().from(giftRerankRounds).where(eq(giftRerankRounds.sessionId, sessionId));
      return row?.ranking ?? ranking;
    },
  };
}
export type GiftRerankRepository = ReturnType<typeof createGiftRerankRepository>;
