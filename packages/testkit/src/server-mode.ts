import { createTestPostgresDatabase, probePostgres, testPostgresAdminUrl } from './database/postgres';
import { redisAvailable, testRedisUrl } from './redis';

/** What a Switchyard process in server mode needs: a prod and a dev database, and Redis. */
export interface ServerModeEnvironment {
  variables: { DATABASE_URL: string; DEV_DATABASE_URL: string; REDIS_URL: string };
  /** Drops both databases. */
  drop(): Promise<void>;
}

/**
 * Whether PostgreSQL and Redis answer; when one does not, says on the console which
 * tests skip and how to point them at a server.
 */
export async function serverModeAvailable(what: string): Promise<boolean> {
  const [postgres, redis] = await Promise.all([probePostgres(), redisAvailable()]);
  if (!postgres.available) {
    console.warn(`[skip] ${what}: no PostgreSQL (${postgres.reason}); set TEST_DATABASE_URL`);
  }
  if (!redis) console.warn(`[skip] ${what}: no Redis at ${testRedisUrl()}; set TEST_REDIS_URL`);
  return postgres.available && redis;
}

/** Two fresh databases on the test PostgreSQL server and the test Redis URL. Throws when they cannot be made. */
export async function createServerModeEnvironment(): Promise<ServerModeEnvironment> {
  const prod = await createTestPostgresDatabase();
  const dev = await createTestPostgresDatabase();
  const drop = async () => {
    await prod?.drop();
    await dev?.drop();
  };
  if (!prod || !dev) {
    await drop();
    throw new Error(`PostgreSQL at ${testPostgresAdminUrl()} answered the probe but no test database could be created`);
  }
  return { variables: { DATABASE_URL: prod.url, DEV_DATABASE_URL: dev.url, REDIS_URL: testRedisUrl() }, drop };
}
