import { and, eq, gt, lte } from 'drizzle-orm';
import type { Db } from './client';
import { storedResponses } from './responses-schema';

export interface StoredResponseRecord {
  id: string;
  owner: string;
  model: string;
  conversation: unknown;
  response: unknown;
}

export interface StoredResponsesRepository {
  save(record: StoredResponseRecord, expiresAt: Date): Promise<void>;
  /** The owner's unexpired response, or null (another owner's response is as absent as a missing one). */
  find(id: string, owner: string, now?: Date): Promise<StoredResponseRecord | null>;
  /** Deletes the owner's response; false when there was none. */
  delete(id: string, owner: string): Promise<boolean>;
  /** Deletes responses past their retention; returns how many. */
  purgeExpired(now?: Date): Promise<number>;
}

export function createStoredResponsesRepository(db: Db): StoredResponsesRepository {
  return {
    async save(record, expiresAt) {
      await db.insert(storedResponses).values({ ...record, expiresAt });
    },
    async find(id, owner, now = new Date()) {
      const rows = await db
        .select()
        .from(storedResponses)
        .where(and(eq(storedResponses.id, id), eq(storedResponses.owner, owner), gt(storedResponses.expiresAt, now)))
        .limit(1);
      const row = rows[0];
      if (!row) return null;
      return { id: row.id, owner: row.owner, model: row.model, conversation: row.conversation, response: row.response };
    },
    async delete(id, owner) {
      const deleted = await db
        .delete(storedResponses)
        .where(and(eq(storedResponses.id, id), eq(storedResponses.owner, owner)))
        .returning({ id: storedResponses.id });
      return deleted.length > 0;
    },
    async purgeExpired(now = new Date()) {
      const deleted = await db
        .delete(storedResponses)
        .where(lte(storedResponses.expiresAt, now))
        .returning({ id: storedResponses.id });
      return deleted.length;
    },
  };
}
