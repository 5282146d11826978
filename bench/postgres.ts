import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const defaultAdminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
export const defaultRedisUrl = 'redis://127.0.0.1:6379';

export async function withClient<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDatabases {
  prodUrl: string;
  devUrl: string;
  drop(): Promise<void>;
}

/** Two fresh databases (prod, dev) that only this run uses; `drop` removes them even with connections left. */
export async function createBenchDatabases(adminUrl = defaultAdminUrl): Promise<BenchDatabases> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const names = [`switchyard_bench_${suffix}_prod`, `switchyard_bench_${suffix}_dev`] as const;
  await withClient(adminUrl, async (client) => {
    for (const name of names) await client.query(`CREATE DATABASE "${name}"`);
  });
  return {
    prodUrl: databaseUrl(adminUrl, names[0]),
    devUrl: databaseUrl(adminUrl, names[1]),
    async drop() {
      await withClient(adminUrl, async (client) => {
        for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

export async function isPostgresReachable(adminUrl = defaultAdminUrl): Promise<boolean> {
  try {
    await withClient(adminUrl, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * pg_stat_statements is not loaded on a stock server, so INSERT statements are
 * counted exactly by a statement-level trigger in the bench's own database:
 * one sequence step per INSERT, however many rows it carries.
 */
export const insertCounterStatements = [
  'CREATE SEQUENCE IF NOT EXISTS bench_usage_insert_statements',
  `CREATE OR REPLACE FUNCTION bench_count_usage_insert() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN PERFORM nextval('bench_usage_insert_statements'); RETURN NULL; END $$`,
  'DROP TRIGGER IF EXISTS bench_count_usage_insert ON api_key_usage_log',
  `CREATE TRIGGER bench_count_usage_insert AFTER INSERT ON api_key_usage_log
   FOR EACH STATEMENT EXECUTE FUNCTION bench_count_usage_insert()`,
];

export const insertCountQuery =
  'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS statements FROM bench_usage_insert_statements';

export const chatRoute = '/v1/chat/completions';
export const usageRowsQuery = `SELECT count(*)::int AS rows FROM api_key_usage_log WHERE route = '${chatRoute}'`;

export interface UsageCounts {
  rows: number;
  insertStatements: number;
}

export async function readUsageCounts(url: string): Promise<UsageCounts> {
  return withClient(url, async (client) => {
    const rows = await client.query<{ rows: number }>(usageRowsQuery);
    const inserts = await client.query<{ statements: string }>(insertCountQuery);
    return { rows: rows.rows[0]?.rows ?? 0, insertStatements: Number(inserts.rows[0]?.statements ?? 0) };
  });
}
