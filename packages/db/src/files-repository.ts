import { SwitchyardError } from '@switchyard/core';
import { and, count, desc, eq, ilike, inArray, or } from 'drizzle-orm';
import type { Db } from './client';
import { type UploadedFileRow, uploadedFiles } from './conversations-schema';
import { type OwnerScope, scopeCondition } from './owner-scope';
import type { PageOptions } from './page';

export type NewUploadedFile = Pick<
  typeof uploadedFiles.$inferInsert,
  'id' | 'userId' | 'projectId' | 'name' | 'mimeType' | 'bytes' | 'objectKey' | 'status'
>;

/**
 * Users' uploads and the text extracted from them. The methods named ForUser touch only that
 * user's rows; the others take an id the caller already checked (or a job's own document).
 */
export interface FileRepository {
  create(file: NewUploadedFile): Promise<UploadedFileRow>;
  findForUser(id: string, userId: string): Promise<UploadedFileRow | undefined>;
  /** The user's files among these ids, in no particular order; unknown and foreign ids are left out. */
  findManyForUser(ids: readonly string[], userId: string): Promise<UploadedFileRow[]>;
  countForUser(userId: string): Promise<number>;
  /** Newest first. */
  listForUser(userId: string, page: PageOptions): Promise<UploadedFileRow[]>;
  /**
   * The user's ready files whose name or extracted text holds any of the terms (case-insensitive),
   * newest first, at most `limit`; ranking is the caller's.
   */
  searchForUser(
    userId: string,
    terms: readonly string[],
    limit: number,
  ): Promise<Array<Pick<UploadedFileRow, 'id' | 'name' | 'mimeType' | 'extractedText' | 'createdAt'>>>;
  delete(id: string): Promise<void>;
  /** Extraction succeeded: the file is ready with its text, and any earlier error is cleared. */
  markReady(id: string, extractedText: string): Promise<void>;
  /** Extraction failed for good. */
  markFailed(id: string, error: string): Promise<void>;
  /** Whoever owns it: for a file that may be shared in a project (the caller checks access). */
  findById(id: string): Promise<UploadedFileRow | undefined>;
  /** Newest first. */
  list(scope: OwnerScope, page: PageOptions): Promise<UploadedFileRow[]>;
  /** A project's files' ids and object keys (to delete them with the project), at most `limit`. */
  listObjectsOfProject(projectId: string, limit: number): Promise<Array<Pick<UploadedFileRow, 'id' | 'objectKey'>>>;
}

export function createFileRepository(db: Db): FileRepository {
  return {
    async create(file) {
      const [row] = await db.insert(uploadedFiles).values(file).returning();
      if (!row) throw new SwitchyardError('SY_ERR_INTERNAL', 'Inserting a file returned no row');
      return row;
    },

    async findForUser(id, userId) {
      const [row] = await db
        .select()
        .from(uploadedFiles)
        .where(and(eq(uploadedFiles.id, id), eq(uploadedFiles.userId, userId)));
      return row;
    },

    findManyForUser: (ids, userId) =>
      db
        .select()
        .from(uploadedFiles)
        .where(and(inArray(uploadedFiles.id, [...ids]), eq(uploadedFiles.userId, userId))),

    async countForUser(userId) {
      const [row] = await db.select({ total: count() }).from(uploadedFiles).where(eq(uploadedFiles.userId, userId));
      return row?.total ?? 0;
    },

    listForUser: (userId, page) =>
      db
        .select()
        .from(uploadedFiles)
        .where(eq(uploadedFiles.userId, userId))
        .orderBy(desc(uploadedFiles.createdAt), desc(uploadedFiles.id))
        .limit(page.limit)
        .offset(page.offset),

    searchForUser(userId, terms, limit) {
      // LIKE's own wildcards in a term match themselves.
      const patterns = terms.map((term) => `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
      const matches = patterns.flatMap((pattern) => [
        ilike(uploadedFiles.extractedText, pattern),
        ilike(uploadedFiles.name, pattern),
      ]);
      return db
        .select({
          id: uploadedFiles.id,
          name: uploadedFiles.name,
          mimeType: uploadedFiles.mimeType,
          extractedText: uploadedFiles.extractedText,
          createdAt: uploadedFiles.createdAt,
        })
        .from(uploadedFiles)
        .where(and(eq(uploadedFiles.userId, userId), eq(uploadedFiles.status, 'ready'), or(...matches)))
        .orderBy(desc(uploadedFiles.createdAt), desc(uploadedFiles.id))
        .limit(limit);
    },

    async findById(id) {
      const [row] = await db.select().from(uploadedFiles).where(eq(uploadedFiles.id, id));
      return row;
    },

    list: (scope, page) =>
      db
        .select()
        .from(uploadedFiles)
        .where(scopeCondition(uploadedFiles, scope))
        .orderBy(desc(uploadedFiles.createdAt), desc(uploadedFiles.id))
        .limit(page.limit)
        .offset(page.offset),

    listObjectsOfProject: (projectId, limit) =>
      db
        .select({ id: uploadedFiles.id, objectKey: uploadedFiles.objectKey })
        .from(uploadedFiles)
        .where(eq(uploadedFiles.projectId, projectId))
        .limit(limit),

    async delete(id) {
      await db.delete(uploadedFiles).where(eq(uploadedFiles.id, id));
    },

    async markReady(id, extractedText) {
      await db
        .update(uploadedFiles)
        .set({ status: 'ready', extractedText, error: null, finishedAt: new Date() })
        .where(eq(uploadedFiles.id, id));
    },

    async markFailed(id, error) {
      await db
        .update(uploadedFiles)
        .set({ status: 'failed', error, finishedAt: new Date() })
        .where(eq(uploadedFiles.id, id));
    },
  };
}
