import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from './client';
import { type GiftIdeaRequestRow, giftIdeaRequests } from './gift-finder-schema';

export type GiftIdeaRequestChanges = Partial<
  Pick<GiftIdeaRequestRow, 'summary' | 'currency' | 'locale' | 'profileRequested' | 'profileInterests'>
>;

/** The ideas service's table (schema gift_ideas). */
export function createGiftIdeasRepository(db: Db) {
  return {
    /**
     * Adds what one event brought under a row lock and says whether the request is now complete
     * (`ready` picks the one event whose handler makes the ideas: the first to find it complete).
     */
    async join(
      sessionId: string,
      changes: GiftIdeaRequestChanges,
      eventId: string,
      isComplete: (row: GiftIdeaRequestRow) => boolean,
      now: Date,
    ): Promise<GiftIdeaRequestRow> {
      return db.transaction(async (transaction) => {
        await transaction
          .insert(giftIdeaRequests)
          .values({ sessionId, createdAt: now, updatedAt: now })
          .onConflictDoNothing();
        const [current] = await transaction
          .select()
          .from(giftIdeaRequests)
          .where(eq(giftIdeaRequests.sessionId, sessionId))
          .for('update');
        const next = { ...(current as GiftIdeaRequestRow), ...changes, updatedAt: now };
        if (next.triggeredBy === null && isComplete(next)) next.triggeredBy = eventId;
        await transaction
          .update(giftIdeaRequests)
          .set({ ...changes, triggeredBy: next.triggeredBy, updatedAt: now })
          .where(eq(giftIdeaRequests.sessionId, sessionId));
        return next;
      });
    },
    /** Keeps the first ideas stored; returns those. */
    async saveIdeas(sessionId: string, ideas: unknown, now: Date): Promise<unknown> {
      await db
        .update(giftIdeaRequests)
        .set({ ideas, updatedAt: now })
        .where(and(eq(giftIdeaRequests.sessionId, sessionId), isNull(giftIdeaRequests.ideas)));
      const [row] = await db.select().from(giftIdeaRequests).where(eq(giftIdeaRequests.sessionId, sessionId));
      return row?.ideas ?? ideas;
    },
  };
}
export type GiftIdeasRepository = ReturnType<typeof createGiftIdeasRepository>;
