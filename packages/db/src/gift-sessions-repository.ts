import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from './client';
import {
  type GiftSessionIdeaRow,
  type GiftSessionMarketplaceRow,
  type GiftSessionMessageRow,
  type GiftSessionProductRow,
  type GiftSessionRow,
  type GiftSessionStageRow,
  giftSessionIdeas,
  giftSessionMarketplaces,
  giftSessionMessages,
  giftSessionProducts,
  giftSessionStages,
  giftSessions,
  giftSessionUsage,
} from './gift-finder-schema';

export type GiftSessionInsert = typeof giftSessions.$inferInsert;

export interface GiftSessionView {
  session: GiftSessionRow;
  messages: GiftSessionMessageRow[];
  stages: GiftSessionStageRow[];
  ideas: GiftSessionIdeaRow[];
  marketplaces: GiftSessionMarketplaceRow[];
  products: GiftSessionProductRow[];
  usage: { promptTokens: number; completionTokens: number; cost: number };
}

const terminal = ['ready', 'refused', 'failed'];
const stageRank: Record<string, number> = { pending: 0, started: 1, completed: 2, failed: 2 };

/** The API's read model of gift-finder sessions (schema gift_sessions). */
export function createGiftSessionsRepository(db: Db) {
  return {
    async create(row: GiftSessionInsert): Promise<void> {
      await db.insert(giftSessions).values(row).onConflictDoNothing();
    },

    async find(id: string): Promise<GiftSessionRow | undefined> {
      const [row] = await db.select().from(giftSessions).where(eq(giftSessions.id, id));
      return row;
    },

    async listOwned(owner: string, limit: number): Promise<GiftSessionRow[]> {
      return db
        .select()
        .from(giftSessions)
        .where(eq(giftSessions.owner, owner))
        .orderBy(desc(giftSessions.createdAt), desc(giftSessions.id))
        .limit(limit);
    },

    /** Takes the user's answer to the open question: its turn, or null when none is open. */
    async takeAnswer(id: string, now: Date): Promise<number | null> {
      const rows = await db
        .update(giftSessions)
        .set({ answeredTurn: sql`${giftSessions.questionTurn}`, updatedAt: now })
        .where(
          and(
            eq(giftSessions.id, id),
            eq(giftSessions.status, 'interviewing'),
            gt(giftSessions.questionTurn, giftSessions.answeredTurn),
          ),
        )
        .returning({ turn: giftSessions.questionTurn });
      return rows[0]?.turn ?? null;
    },

    async addMessage(row: GiftSessionMessageRow): Promise<void> {
      await db.insert(giftSessionMessages).values(row).onConflictDoNothing();
    },

    async questionAsked(id: string, turn: number, now: Date): Promise<void> {
      await db
        .update(giftSessions)
        .set({ questionTurn: sql`greatest(${giftSessions.questionTurn}, ${turn})`, updatedAt: now })
        .where(eq(giftSessions.id, id));
    },

    /** Terminal statuses (ready, refused, failed) stay; `searching` only follows `interviewing`. */
    async setStatus(id: string, status: string, now: Date): Promise<void> {
      const from = status === 'searching' ? ['interviewing'] : ['interviewing', 'searching'];
      if (terminal.includes(status) || status === 'searching') {
        await db
          .update(giftSessions)
          .set({ status, updatedAt: now })
          .where(and(eq(giftSessions.id, id), inArray(giftSessions.status, from)));
      }
    },

    async update(
      id: string,
      changes: Partial<
        Pick<GiftSessionRow, 'summary' | 'profileStatus' | 'profileInterests' | 'profileFailures' | 'ranking'>
      >,
      now: Date,
    ): Promise<void> {
      await db
        .update(giftSessions)
        .set({ ...changes, updatedAt: now })
        .where(eq(giftSessions.id, id));
    },

    /** A stage only moves forward (pending → started → completed or failed), whatever order events arrive in. */
    async setStage(row: GiftSessionStageRow): Promise<void> {
      await db.transaction(async (transaction) => {
        const [current] = await transaction
          .select()
          .from(giftSessionStages)
          .where(and(eq(giftSessionStages.sessionId, row.sessionId), eq(giftSessionStages.stage, row.stage)))
          .for('update');
        if (current && (stageRank[current.status] ?? 0) > (stageRank[row.status] ?? 0)) return;
        if (current && (stageRank[current.status] ?? 0) === 2) return;
        await transaction
          .insert(giftSessionStages)
          .values(row)
          .onConflictDoUpdate({
            target: [giftSessionStages.sessionId, giftSessionStages.stage],
            set: { status: row.status, message: row.message, progress: row.progress, updatedAt: row.updatedAt },
          });
      });
    },

    async putIdeas(rows: GiftSessionIdeaRow[]): Promise<void> {
      if (rows.length > 0) await db.insert(giftSessionIdeas).values(rows).onConflictDoNothing();
    },

    async putMarketplace(row: GiftSessionMarketplaceRow): Promise<void> {
      await db
        .insert(giftSessionMarketplaces)
        .values(row)
        .onConflictDoUpdate({
          target: [giftSessionMarketplaces.sessionId, giftSessionMarketplaces.marketplace],
          set: { status: row.status, message: row.message, count: row.count },
          // 'pending' never overwrites a result.
          where: sql`${row.status} <> 'pending'`,
        });
    },

    async putProducts(rows: GiftSessionProductRow[]): Promise<void> {
      if (rows.length > 0) await db.insert(giftSessionProducts).values(rows).onConflictDoNothing();
    },

    async addUsage(
      sessionId: string,
      eventId: string,
      usage: { promptTokens: number; completionTokens: number; cost: number },
    ): Promise<void> {
      if (usage.promptTokens === 0 && usage.completionTokens === 0 && usage.cost === 0) return;
      await db
        .insert(giftSessionUsage)
        .values({ sessionId, eventId, ...usage })
        .onConflictDoNothing();
    },

    /** One product of a session (the image proxy serves only images of products the session holds). */
    async product(sessionId: string, productId: string): Promise<GiftSessionProductRow | undefined> {
      const [row] = await db
        .select()
        .from(giftSessionProducts)
        .where(and(eq(giftSessionProducts.sessionId, sessionId), eq(giftSessionProducts.id, productId)));
      return row;
    },

    async view(id: string): Promise<GiftSessionView | undefined> {
      const [session] = await db.select().from(giftSessions).where(eq(giftSessions.id, id));
      if (!session) return undefined;
      // One after another: the caller may pass a transaction, which runs one query at a time.
      const messages = await db
        .select()
        .from(giftSessionMessages)
        .where(eq(giftSessionMessages.sessionId, id))
        .orderBy(asc(giftSessionMessages.turn), asc(giftSessionMessages.role));
      const stages = await db.select().from(giftSessionStages).where(eq(giftSessionStages.sessionId, id));
      const ideas = await db
        .select()
        .from(giftSessionIdeas)
        .where(eq(giftSessionIdeas.sessionId, id))
        .orderBy(asc(giftSessionIdeas.position));
      const marketplaces = await db
        .select()
        .from(giftSessionMarketplaces)
        .where(eq(giftSessionMarketplaces.sessionId, id))
        .orderBy(asc(giftSessionMarketplaces.marketplace));
      const products = await db
        .select()
        .from(giftSessionProducts)
        .where(eq(giftSessionProducts.sessionId, id))
        .orderBy(asc(giftSessionProducts.createdAt), asc(giftSessionProducts.id));
      const usage = await db
        .select({
          promptTokens: sql<number>`coalesce(sum(${giftSessionUsage.promptTokens}), 0)::int`,
          completionTokens: sql<number>`coalesce(sum(${giftSessionUsage.completionTokens}), 0)::int`,
          cost: sql<number>`coalesce(sum(${giftSessionUsage.cost}), 0)::float8`,
        })
        .from(giftSessionUsage)
        .where(eq(giftSessionUsage.sessionId, id));

      return {
        session,
        messages,
        stages,
        ideas,
        marketplaces,
        products,
        usage: usage[0] ?? { promptTokens: 0, completionTokens: 0, cost: 0 },
      };
    },
  };
}
export type GiftSessionsRepository = ReturnType<typeof createGiftSessionsRepository>;
