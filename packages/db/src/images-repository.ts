import type { Environment } from '@switchyard/core';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import type { DailyCounter } from './daily-counter';
import { type ImageInsert, type ImageRow, images, imageUsage } from './images-schema';
import type { PageOptions } from './page';

export interface StoredImage {
  objectKey: string;
  mimeType: string;
  bytes: number;
  seed: number | null;
}

/** Generated images and the daily image counts, in the database of the environment that asked. */
export interface ImageRepository extends DailyCounter {
  create(image: ImageInsert): Promise<void>;
  /** The image if this subject asked for it; another subject's image reads as missing. */
  findForSubject(id: string, subject: string): Promise<ImageRow | undefined>;
  /** This subject's images that are ready, newest first (a gallery). */
  listReadyForSubject(subject: string, page: PageOptions): Promise<ImageRow[]>;
  /** Deletes the row if this subject asked for it; the deleted row, or undefined when there was none of theirs. */
  deleteForSubject(id: string, subject: string): Promise<ImageRow | undefined>;
  markRunning(id: string): Promise<void>;
  markReady(id: string, stored: StoredImage): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
}

export function createImageRepository(db: Db): ImageRepository {
  const usageRow = (environment: Environment, subject: string, day: string) =>
    and(eq(imageUsage.environment, environment), eq(imageUsage.subject, subject), eq(imageUsage.day, day));

  return {
    async create(image) {
      await db.insert(images).values(image);
    },

    async findForSubject(id, subject) {
      const [row] = await db
        .select()
        .from(images)
        .where(and(eq(images.id, id), eq(images.subject, subject)));
      return row;
    },

    async listReadyForSubject(subject, page) {
      return db
        .select()
        .from(images)
        .where(and(eq(images.subject, subject), eq(images.status, 'ready')))
        .orderBy(desc(images.createdAt), desc(images.id))
        .limit(page.limit)
        .offset(page.offset);
    },

    async deleteForSubject(id, subject) {
      const [row] = await db
        .delete(images)
        .where(and(eq(images.id, id), eq(images.subject, subject)))
        .returning();
      return row;
    },

    async markRunning(id) {
      await db.update(images).set({ status: 'running' }).where(eq(images.id, id));
    },

    async markReady(id, stored) {
      await db
        .update(images)
        .set({ status: 'ready', ...stored, finishedAt: new Date() })
        .where(eq(images.id, id));
    },

    async markFailed(id, error) {
      await db.update(images).set({ status: 'failed', error, finishedAt: new Date() }).where(eq(images.id, id));
    },

    async incrementDailyCount(environment, subject, day, limit, amount = 1) {
      if (amount > limit) return undefined;
      const rows = await db
        .insert(imageUsage)
        .values({ environment, subject, day, count: amount })
        .onConflictDoUpdate({
          target: [imageUsage.environment, imageUsage.subject, imageUsage.day],
          set: { count: sql`${imageUsage.count} + ${amount}` },
          setWhere: sql`${imageUsage.count} + ${amount} <= ${limit}`,
        })
        .returning({ count: imageUsage.count });
      return rows[0]?.count;
    },

    async decrementDailyCount(environment, subject, day, amount = 1) {
      await db
        .update(imageUsage)
        .set({ count: sql`GREATEST(${imageUsage.count} - ${amount}, 0)` })
        .where(usageRow(environment, subject, day));
    },

    async dailyCount(environment, subject, day) {
      const rows = await db
        .select({ count: imageUsage.count })
        .from(imageUsage)
        .where(usageRow(environment, subject, day));
      return rows[0]?.count ?? 0;
    },
  };
}
