import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './client';
import {
  type GiftInterviewMessageRow,
  type GiftInterviewRow,
  giftInterviewMessages,
  giftInterviews,
} from './gift-finder-schema';

/** The interview service's tables (schema gift_interview). */
export function createGiftInterviewRepository(db: Db) {
  return {
    async start(row: GiftInterviewRow): Promise<void> {
      await db.insert(giftInterviews).values(row).onConflictDoNothing();
    },
    async find(sessionId: string): Promise<GiftInterviewRow | undefined> {
      const [row] = await db.select().from(giftInterviews).where(eq(giftInterviews.sessionId, sessionId));
      return row;
    },
    async setStatus(sessionId: string, status: string, now: Date): Promise<void> {
      await db.update(giftInterviews).set({ status, updatedAt: now }).where(eq(giftInterviews.sessionId, sessionId));
    },
    async messages(sessionId: string): Promise<GiftInterviewMessageRow[]> {
      return db
        .select()
        .from(giftInterviewMessages)
        .where(eq(giftInterviewMessages.sessionId, sessionId))
        .orderBy(asc(giftInterviewMessages.turn), asc(giftInterviewMessages.role));
    },
    async findMessage(sessionId: string, role: string, turn: number): Promise<GiftInterviewMessageRow | undefined> {
      const [row] = await db
        .select()
        .from(giftInterviewMessages)
        .where(
          and(
            eq(giftInterviewMessages.sessionId, sessionId),
            eq(giftInterviewMessages.role, role),
            eq(giftInterviewMessages.turn, turn),
          ),
        );
      return row;
    },
    /** Stores the message unless one of that role and turn exists; returns the stored one either way. */
    async addMessage(row: GiftInterviewMessageRow): Promise<GiftInterviewMessageRow> {
      await db.insert(giftInterviewMessages).values(row).onConflictDoNothing();
      const [stored] = await db
        .select()
        .from(giftInterviewMessages)
        .where(
          and(
            eq(giftInterviewMessages.sessionId, row.sessionId),
            eq(giftInterviewMessages.role, row.role),
            eq(giftInterviewMessages.turn, row.turn),
          ),
        );
      return stored ?? row;
    },
  };
}
export type GiftInterviewRepository = ReturnType<typeof createGiftInterviewRepository>;
