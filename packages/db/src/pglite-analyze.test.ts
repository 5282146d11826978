import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeChangedTables, startAutoAnalyze } from './pglite-analyze';

/** The planner's estimate of the rows a query returns (its first plan line). */
async function estimatedRows(client: PGlite, query: string): Promise<number> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`);
  return Number(/rows=(\d+)/.exec(rows[0]?.['QUERY PLAN'] ?? '')?.[1]);
}

async function reltuples(client: PGlite, table: string): Promise<number> {
  const { rows } = await client.query<{ reltuples: number }>('SELECT reltuples FROM pg_class WHERE relname = $1', [
    table,
  ]);
  return Number(rows[0]?.reltuples);
}

describe('the embedded database analyzes its own tables (no autovacuum daemon in PGlite)', () => {
  let client: PGlite;
  beforeAll(async () => {
    client = await PGlite.create();
    await client.exec(`
      CREATE TABLE chats (id int PRIMARY KEY, owner text NOT NULL, updated int NOT NULL);
      CREATE INDEX chats_owner_idx ON chats (owner, updated);
      INSERT INTO chats SELECT g, 'owner-' || (g % 2), g FROM generate_series(1, 5000) g;
      CREATE TABLE untouched (id int PRIMARY KEY);
      ANALYZE untouched;
      CREATE TABLE empty (id int PRIMARY KEY);`);
  });
  afterAll(async () => {
    await client.close();
  });

  it('analyzes a table never analyzed, after which the planner knows its size', async () => {
    // Never analyzed: the planner guesses from the table's pages, not from its rows' values.
    const query = "SELECT * FROM chats WHERE owner = 'owner-1'";
    expect(await reltuples(client, 'chats')).toBe(-1);
    const analyzed = await analyzeChangedTables(client);
    expect(analyzed).toContain('public.chats');
    expect(await reltuples(client, 'chats')).toBe(5000);
    // Half the rows have this owner: the statistics say so now.
    expect(await estimatedRows(client, query)).toBeGreaterThan(2000);
    expect(await estimatedRows(client, query)).toBeLessThan(3000);
  });

  it('leaves a table alone that was analyzed and has not changed, or that holds nothing yet', async () => {
    expect(await reltuples(client, 'untouched')).toBe(0);
    const analyzed = await analyzeChangedTables(client);
    expect(analyzed).not.toContain('public.untouched');
    expect(analyzed).not.toContain('public.empty');
    expect(await reltuples(client, 'empty')).toBe(-1);
  });

  it('runs on its interval once the database is open, and not before', async () => {
    vi.useFakeTimers();
    try {
      await client.exec('CREATE TABLE later (id int PRIMARY KEY); INSERT INTO later SELECT generate_series(1, 300);');
      let open = false;
      const errors: unknown[] = [];
      const stop = startAutoAnalyze(
        async () => client,
        () => open,
        (error) => errors.push(error),
        1_000,
      );
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await reltuples(client, 'later')).toBe(-1);
      open = true;
      await vi.advanceTimersByTimeAsync(1_000);
      vi.useRealTimers();
      // The tick started the analysis; wait for it to land.
      await vi.waitFor(async () => expect(await reltuples(client, 'later')).toBe(300), { timeout: 10_000 });
      stop();
      expect(errors).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
