import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests create their throw-away databases on; CI starts PostgreSQL here. */
export const testPostgresAdminUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresProbe = { available: true } | { available: false; reason: string };

/**
 * The probe gives up after two seconds (a machine without PostgreSQL skips quickly); creating and dropping
 * a database waits longer, since on a loaded machine a connection to a server that answered can take
 * over two seconds (a backup test failed so at a load average of 14).
 */
const probeTimeoutMs = 2_000;
const adminTimeoutMs = 15_000;

async function connectAdmin(timeoutMs = adminTimeoutMs): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testPostgresAdminUrl(), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/** Whether the test server answers within two seconds, and if not, why not. */
export async function probePostgres(): Promise<PostgresProbe> {
  try {
    const client = await connectAdmin(probeTimeoutMs);
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
    return { available: true };
  } catch (error) {
    const message = error instanceof Error ? error.message || error.constructor.name : String(error);
    return { available: false, reason: `${redactPassword(testPostgresAdminUrl())}: ${message}` };
  }
}

export const postgresAvailable = async (): Promise<boolean> => (await probePostgres()).available;

/**
 * A fresh, empty database on the test server, or undefined when the server is
 * unreachable. Failing to create the database on a reachable server throws.
 */
export async function createTestPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  let admin: pg.Client;
  try {
    admin = await connectAdmin();
  } catch {
    return undefined;
  }
  const name = `sy_test_${randomBytes(8).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(testPostgresAdminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = await connectAdmin();
      try {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
