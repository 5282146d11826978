import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from './client';
import { type OwnerScope, scopeCondition } from './owner-scope';
import {
  type SavedSearchInsert,
  type SavedSearchResultRow,
  type SavedSearchRow,
  type SavedSearchRunRow,
  savedSearches,
  savedSearchResults,
  savedSearchRuns,
} from './searches-schema';

export interface FoundResult {
  normalizedUrl: string;
  url: string;
  title: string;
  snippet: string;
  publishedAt: Date | null;
}

export interface SavedSearchesRepository {
  insert(row: SavedSearchInsert): Promise<SavedSearchRow>;
  find(id: string): Promise<SavedSearchRow | undefined>;
  /** The search only if `userId` owns it. */
  findOwned(id: string, userId: string): Promise<SavedSearchRow | undefined>;
  listOwned(userId: string): Promise<SavedSearchRow[]>;
  update(
    id: string,
    userId: string,
    changes: Partial<Omit<SavedSearchInsert, 'id' | 'userId' | 'createdAt'>>,
  ): Promise<SavedSearchRow | undefined>;
  delete(id: string, userId: string): Promise<boolean>;
  /** Newest first: a user's own (personal) searches or a project's. */
  listScoped(scope: OwnerScope): Promise<SavedSearchRow[]>;
  /** Whoever owns it; the caller has checked access. */
  updateById(
    id: string,
    changes: Partial<Omit<SavedSearchInsert, 'id' | 'userId' | 'createdAt'>>,
  ): Promise<SavedSearchRow | undefined>;
  deleteById(id: string): Promise<boolean>;
  /**
   * Stores a run and those of its results whose normalised URL the search has not seen, in one
   * transaction; returns the new ones. A run id stored already (a job attempt repeated) stores nothing
   * again and returns that run's results.
   */
  recordRun(
    run: Omit<SavedSearchRunRow, 'newResults' | 'totalResults'>,
    results: readonly FoundResult[],
  ): Promise<{ run: SavedSearchRunRow; added: SavedSearchResultRow[] }>;
  setSummary(runId: string, summary: string): Promise<void>;
  /** Newest first. */
  listRuns(searchId: string, limit: number): Promise<SavedSearchRunRow[]>;
  /** Results of the named runs, in the order they were found. */
  resultsOfRuns(runIds: readonly string[]): Promise<SavedSearchResultRow[]>;
}

export function createSavedSearchesRepository(db: Db): SavedSearchesRepository {
  return {
    async insert(row) {
      const [inserted] = await db.insert(savedSearches).values(row).returning();
      if (!inserted) throw new Error('saved search insert returned nothing');
      return inserted;
    },

    async find(id) {
      const [row] = await db.select().from(savedSearches).where(eq(savedSearches.id, id));
      return row;
    },

    async findOwned(id, userId) {
      const [row] = await db
        .select()
        .from(savedSearches)
        .where(and(eq(savedSearches.id, id), eq(savedSearches.userId, userId)));
      return row;
    },

    listOwned(userId) {
      return db
        .select()
        .from(savedSearches)
        .where(eq(savedSearches.userId, userId))
        .orderBy(desc(savedSearches.createdAt), asc(savedSearches.id));
    },

    async update(id, userId, changes) {
      const [row] = await db
        .update(savedSearches)
        .set(changes)
        .where(and(eq(savedSearches.id, id), eq(savedSearches.userId, userId)))
        .returning();
      return row;
    },

    async delete(id, userId) {
      const deleted = await db
        .delete(savedSearches)
        .where(and(eq(savedSearches.id, id), eq(savedSearches.userId, userId)))
        .returning({ id: savedSearches.id });
      return deleted.length > 0;
    },

    listScoped(scope) {
      return db
        .select()
        .from(savedSearches)
        .where(scopeCondition(savedSearches, scope))
        .orderBy(desc(savedSearches.createdAt), asc(savedSearches.id));
    },

    async updateById(id, changes) {
      const [row] = await db.update(savedSearches).set(changes).where(eq(savedSearches.id, id)).returning();
      return row;
    },

    async deleteById(id) {
      const deleted = await db
        .delete(savedSearches)
        .where(eq(savedSearches.id, id))
        .returning({ id: savedSearches.id });
      return deleted.length > 0;
    },

    recordRun(run, results) {
      return db.transaction(async (transaction) => {
        const [stored] = await transaction
          .insert(savedSearchRuns)
          .values({ ...run, totalResults: results.length, newResults: 0 })
          .onConflictDoNothing({ target: savedSearchRuns.id })
          .returning();
        if (!stored) {
          const [existing] = await transaction.select().from(savedSearchRuns).where(eq(savedSearchRuns.id, run.id));
          if (!existing) throw new Error(`saved search run '${run.id}' conflicted on insert but is gone`);
          const added = await transaction
            .select()
            .from(savedSearchResults)
            .where(eq(savedSearchResults.runId, run.id))
            .orderBy(asc(savedSearchResults.id));
          return { run: existing, added };
        }
        const added =
          results.length === 0
            ? []
            : await transaction
                .insert(savedSearchResults)
                .values(
                  results.map((result) => ({ ...result, searchId: run.searchId, runId: run.id, foundAt: run.ranAt })),
                )
                .onConflictDoNothing({ target: [savedSearchResults.searchId, savedSearchResults.normalizedUrl] })
                .returning();
        const [updated] = await transaction
          .update(savedSearchRuns)
          .set({ newResults: added.length })
          .where(eq(savedSearchRuns.id, run.id))
          .returning();
        return { run: updated ?? stored, added: added.sort((left, right) => left.id - right.id) };
      });
    },

    async setSummary(runId, summary) {
      await db.update(savedSearchRuns).set({ summary }).where(eq(savedSearchRuns.id, runId));
    },

    listRuns(searchId, limit) {
      return db
        .select()
        .from(savedSearchRuns)
        .where(eq(savedSearchRuns.searchId, searchId))
        .orderBy(desc(savedSearchRuns.ranAt), desc(savedSearchRuns.id))
        .limit(Math.min(Math.max(Math.trunc(limit), 1), 200));
    },

    async resultsOfRuns(runIds) {
      if (runIds.length === 0) return [];
      return db
        .select()
        .from(savedSearchResults)
        .where(inArray(savedSearchResults.runId, [...runIds]))
        .orderBy(asc(savedSearchResults.id));
    },
  };
}
