import type { PGlite } from '@electric-sql/pglite';
import type { DatabaseErrorReporter } from './postgres-listener';

/**
 * PostgreSQL's autovacuum daemon keeps the planner's statistics fresh (ANALYZE on a table once
 * 50 + 10 % of its rows have changed since the last one). The embedded database (PGlite) runs one
 * backend and no daemon, so without this its tables are never analyzed: the planner guesses a table
 * holds a row or so and picks its plans by that. With 10,000 chats, GET /api/chats read every chat of
 * the account through the wrong index and sorted them (25 ms) instead of reading the first page in
 * order from the list's own index (2 ms).
 *
 * Every `intervalMs` this asks PostgreSQL's own counters which tables have changed that much (and
 * which were never analyzed: PGlite keeps no counters across a restart) and analyzes them, one table
 * per query so requests go on between them.
 */
export const autoAnalyzeIntervalMs = 30_000;

/**
 * autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults; a table never analyzed
 * only once it holds data (its file is not empty: a new database's ~70 empty tables are left alone).
 */
const tablesToAnalyze = `
  SELECT format('%I.%I', s.schemaname, s.relname) AS name
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
  WHERE (c.reltuples < 0 AND pg_relation_size(c.oid) > 0)
     OR s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
  ORDER BY s.n_mod_since_analyze DESC`;

/** Analyzes the tables that need it now; returns their names. */
export async function analyzeChangedTables(client: PGlite): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(tablesToAnalyze);
  for (const { name } of rows) await client.exec(`ANALYZE ${name}`);
  return rows.map((row) => row.name);
}

/**
 * Runs analyzeChangedTables every `intervalMs` while `opened()` (a lazily opened database is left
 * alone until something opened it); the timer keeps no process alive. Returns the stop.
 */
export function startAutoAnalyze(
  client: () => Promise<PGlite>,
  opened: () => boolean,
  reportError: DatabaseErrorReporter,
  intervalMs = autoAnalyzeIntervalMs,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running || !opened()) return;
    running = true;
    client()
      .then(analyzeChangedTables)
      .catch((error: unknown) => reportError(error, 'analyzing the embedded database tables failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
