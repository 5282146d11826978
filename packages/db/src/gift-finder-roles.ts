import { sql } from 'drizzle-orm';
import type { Db } from './client';

/** The gift finder's services, each with its own schema (and, in server mode, its own role). */
export const giftServices = ['sessions', 'interview', 'profile', 'ideas', 'fetch', 'rerank'] as const;
export type GiftService = (typeof giftServices)[number];

export const giftSchemaOf = (service: GiftService) => `gift_${service}`;
export const giftRoleOf = (service: GiftService) => `switchyard_gift_${service}`;

async function ignoringRaces(statement: ReturnType<typeof sql.raw>, db: Db): Promise<void> {
  try {
    await db.execute(statement);
  } catch (error) {
    // Roles are cluster-wide: two databases of one server set up at once race on the same role.
    const code =
      (error as { code?: string; cause?: { code?: string } }).code ??
      (error as { cause?: { code?: string } }).cause?.code;
    if (code !== '42710' && code !== '23505' && code !== 'XX000') throw error;
  }
}

/**
 * Server mode: one NOLOGIN role per service with rights on its own schema only (and INSERT on the
 * event outbox), granted to the connecting user so workers can `SET ROLE` to it for each transaction. Needs CREATEROLE; safe to
 * run again. `switchyard migrate` runs it; a DBA can run the SQL it issues instead (docs/gift-finder.md).
 */
export async function provisionGiftServiceRoles(db: Db): Promise<void> {
  for (const service of giftServices) {
    const role = giftRoleOf(service);
    const schema = giftSchemaOf(service);
    await ignoringRaces(
      sql.raw(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE "${role}" NOLOGIN; END IF; END $$`,
      ),
      db,
    );
    await ignoringRaces(sql.raw(`GRANT "${role}" TO CURRENT_USER`), db);
    await db.execute(sql.raw(`REVOKE ALL ON SCHEMA "${schema}" FROM PUBLIC`));
    await db.execute(sql.raw(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`));
    await db.execute(sql.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`));
    // A state change and its events commit together: the role may add rows to the outbox, nothing more.
    await db.execute(sql.raw(`GRANT INSERT ON TABLE public.event_outbox TO "${role}"`));
  }
}

/**
 * Runs `work` in one transaction; with `useRole` (server mode with roles set up) as the service's
 * role, so a service that strays into another's schema gets "permission denied".
 */
export async function withGiftServiceRole<T>(
  db: Db,
  service: GiftService,
  useRole: boolean,
  work: (transaction: Db) => Promise<T>,
): Promise<T> {
  return db.transaction(async (transaction) => {
    if (useRole) await transaction.execute(sql.raw(`SET LOCAL ROLE "${giftRoleOf(service)}"`));
    return work(transaction as unknown as Db);
  });
}
