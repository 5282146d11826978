import { and, eq, isNull, lt, or } from 'drizzle-orm';
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
    /**
     * Takes the round's ranking for one delivery (`claimant`, a random token) until `until`, when no
     * ranking is stored and nobody else holds a claim that is still good: in one statement, so of two
     * deliveries of the triggering event only one asks the model. Says what the caller found: `claimed`,
     * the stored `ranking`, or `busy` (another delivery holds the claim until `until`).
     */
    async claimRanking(
      sessionId: string,
      claimant: string,
      now: Date,
      until: Date,
    ): Promise<{ outcome: 'claimed' } | { outcome: 'ranked'; ranking: unknown } | { outcome: 'busy'; until: Date }> {
      const claimed = await db
        .update(giftRerankRounds)
        .set({ rankingClaimedBy: claimant, rankingClaimedUntil: until, updatedAt: now })
        .where(
          and(
            eq(giftRerankRounds.sessionId, sessionId),
            isNull(giftRerankRounds.ranking),
            or(
              isNull(giftRerankRounds.rankingClaimedUntil),
              lt(giftRerankRounds.rankingClaimedUntil, now),
              eq(giftRerankRounds.rankingClaimedBy, claimant),
            ),
          ),
        )
        .returning({ sessionId: giftRerankRounds.sessionId });
      if (claimed.length > 0) return { outcome: 'claimed' };
      const [row] = await db.select().from(giftRerankRounds).where(eq(giftRerankRounds.sessionId, sessionId));
      if (row?.ranking !== null && row?.ranking !== undefined) return { outcome: 'ranked', ranking: row.ranking };
      return { outcome: 'busy', until: row?.rankingClaimedUntil ?? now };
    },
    /** Gives the claim up (the ranking failed), so another delivery may take it at once. */
    async releaseRanking(sessionId: string, claimant: string): Promise<void> {
      await db
        .update(giftRerankRounds)
        .set({ rankingClaimedBy: null, rankingClaimedUntil: null })
        .where(and(eq(giftRerankRounds.sessionId, sessionId), eq(giftRerankRounds.rankingClaimedBy, claimant)));
    },
    async saveRanking(sessionId: string, ranking: unknown, now: Date): Promise<unknown> {
      await db
        .update(giftRerankRounds)
        .set({ ranking, rankingClaimedBy: null, rankingClaimedUntil: null, updatedAt: now })
        .where(and(eq(giftRerankRounds.sessionId, sessionId), isNull(giftRerankRounds.ranking)));
      const [row] = await db.select().from(giftRerankRounds).where(eq(giftRerankRounds.sessionId, sessionId));
      return row?.ranking ?? ranking;
    },
  };
}
export type GiftRerankRepository = ReturnType<typeof createGiftRerankRepository>;
