/**
 * A consumer process of the SIGKILL benchmark (measure-events-sigkill.ts starts and kills it).
 * Each handled event applies one effect: a row per event id in bench_effects whose `applied`
 * counts how often the effect ran, written in the same transaction as the consumed-id record.
 *
 * With a PGlite data directory (one process owns it) this process also publishes, through the
 * transactional outbox: each transaction writes 100 events and the publish progress together,
 * so a killed publisher resumes where its last commit left off.
 *
 * Messages to the parent (IPC): { type: 'ready' }, { type: 'progress', published, effects }.
 */
import type { Db, SwitchyardDatabase } from '@switchyard/db';
import { createEventBus, defineEvent, defineEventCatalog } from '@switchyard/events';
import { sql } from 'drizzle-orm';
import Type from 'typebox';
import { type BackendAddress, backendTransport, openBackendDatabase } from './event-transports';

export const sigkillCatalog = defineEventCatalog([
  defineEvent('BenchTick', { payload: Type.Object({ index: Type.Integer({ minimum: 0 }) }) }),
]);
export const sigkillGroup = 'sigkill';
export const sigkillLeaseMs = 3_000;
export const eventId = (index: number) => `e${index}`;

/** The benchmark's own tables (not Switchyard's): the effects, and the embedded publisher's progress. */
export async function createBenchTables(database: SwitchyardDatabase): Promise<void> {
  // One statement per call: PGlite's extended protocol refuses several.
  await database.db.execute(
    sql.raw(`CREATE TABLE IF NOT EXISTS bench_effects (
      event_id text PRIMARY KEY, event_index integer NOT NULL, applied integer NOT NULL)`),
  );
  await database.db.execute(
    sql.raw('CREATE TABLE IF NOT EXISTS bench_progress (id integer PRIMARY KEY, published integer NOT NULL)'),
  );
}

export async function countEffects(
  database: SwitchyardDatabase,
): Promise<{ rows: number; applied: number; twice: number }> {
  const result = await database.db.execute<{ rows: string | number; applied: string | number; twice: string | number }>(
    sql`SELECT count(*) AS rows, coalesce(sum(applied), 0) AS applied, count(*) FILTER (WHERE applied > 1) AS twice FROM bench_effects`,
  );
  const row = result.rows[0];
  return { rows: Number(row?.rows ?? 0), applied: Number(row?.applied ?? 0), twice: Number(row?.twice ?? 0) };
}

async function main(): Promise<void> {
  const address = JSON.parse(process.env.BENCH_ADDRESS ?? '{}') as BackendAddress;
  const total = Number(process.env.BENCH_EVENTS);
  const publishes = address.kind === 'pglite';
  // The parent migrated the schema before it started any consumer: a restart opens the pool only.
  const database = await openBackendDatabase(address, 10, { migrate: publishes });
  if (publishes) await createBenchTables(database);
  const bus = createEventBus({
    transport: backendTransport(address, database, { leaseMs: sigkillLeaseMs }),
    database,
    catalog: sigkillCatalog,
    relayIntervalMs: publishes ? 200 : 0,
    onError: () => {},
  });
  await bus.subscribe(
    sigkillGroup,
    'BenchTick',
    async (event, context) => {
      await database.db.transaction(async (transaction) => {
        await transaction.execute(
          sql`INSERT INTO bench_effects (event_id, event_index, applied) VALUES (${event.id}, ${event.payload.index}, 1)
              ON CONFLICT (event_id) DO UPDATE SET applied = bench_effects.applied + 1`,
        );
        await context.recordConsumed(transaction as unknown as Db);
      });
    },
    { concurrency: 16 },
  );
  process.send?.({ type: 'ready', startMs: Math.round(performance.now()) });

  let published = total;
  if (publishes) {
    const progress = await database.db.execute<{ published: number }>(
      sql`SELECT published FROM bench_progress WHERE id = 1`,
    );
    published = progress.rows[0]?.published ?? 0;
  }
  const report = setInterval(async () => {
    const effects = await countEffects(database).catch(() => undefined);
    if (effects) process.send?.({ type: 'progress', published, effects: effects.rows });
  }, 1_000);
  report.unref();
  while (published < total) {
    const end = Math.min(total, published + 100);
    await database.db.transaction(async (transaction) => {
      for (let index = published; index < end; index++) {
        await bus.publishInTransaction(
          transaction as unknown as Db,
          'BenchTick',
          { index },
          { environment: 'prod', id: eventId(index) },
        );
      }
      await transaction.execute(
        sql`INSERT INTO bench_progress (id, published) VALUES (1, ${end})
            ON CONFLICT (id) DO UPDATE SET published = ${end}`,
      );
    });
    published = end;
  }
  // Runs until killed.
  setInterval(() => {}, 60_000);
}

if (process.env.BENCH_ADDRESS) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
