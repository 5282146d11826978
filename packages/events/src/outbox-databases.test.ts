import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import { createTestPostgresDatabase, probePostgres } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, defineEventCatalog } from './catalog';
import { createEventBus } from './create-event-bus';
import { createEmbeddedTransport } from './embedded/embedded-transport';
import type { EventEnvelope } from './event-bus';

const postgres = await probePostgres();
if (!postgres.available) console.warn(`[skip] concurrent outbox relays on PostgreSQL: ${postgres.reason}`);

const catalog = defineEventCatalog([
  defineEvent('SessionOpened', { payload: Type.Object({ sessionId: Type.String({ minLength: 1 }) }) }),
]);

/**
 * The relay reads every environment's outbox: a dev state change commits its event in the dev
 * database, and a process that dies after that commit loses nothing. A lazily opened database
 * nothing used is not opened by the relay.
 */
describe('outbox relay over several databases', () => {
  let dir: string;
  let control: SwitchyardDatabase;
  let dev: SwitchyardDatabase;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-outboxes-'));
    control = await openDatabase({ kind: 'pglite', dataDir: null });
    dev = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'dev'), lazy: true });
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    await control?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const connect = (relayIntervalMs: number) =>
    createEventBus({
      transport: createEmbeddedTransport({ database: control, pollIntervalMs: 20, onError: () => {} }),
      database: control,
      outboxDatabases: [dev],
      catalog,
      relayIntervalMs,
      onError: () => {},
    });

  it('leaves a dev database that was never opened closed', async () => {
    const bus = connect(10);
    try {
      expect(await bus.relayOutbox()).toBe(0);
      expect(dev.opened()).toBe(false);
    } finally {
      await bus.close();
    }
    expect(dev.opened()).toBe(false);
  });

  it('relays what a process committed to the dev outbox before it died, and only once', async () => {
    await dev.db.execute(sql.raw('CREATE TABLE IF NOT EXISTS dev_sessions (id text PRIMARY KEY)'));
    // The state change and its event commit together; the process dies before any relay ran.
    const crashed = connect(0);
    await dev.db.transaction(async (transaction) => {
      await transaction.execute(sql`INSERT INTO dev_sessions (id) VALUES ('s1')`);
      await crashed.publishInTransaction(
        transaction as unknown as Db,
        'SessionOpened',
        { sessionId: 's1' },
        { environment: 'dev', id: 's1-start' },
      );
    });
    await crashed.close({ graceful: false });
    const waiting = await dev.db.execute<{ id: string }>(sql`SELECT id FROM event_outbox`);
    expect(waiting.rows.map((row) => row.id)).toEqual(['s1-start']);

    // A process that starts later relays it from dev's outbox (prod's is empty).
    const consumer = connect(0);
    const seen: EventEnvelope[] = [];
    let handled: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      handled = resolve;
    });
    await consumer.subscribe('sessions', 'SessionOpened', (event) => {
      seen.push(event);
      handled();
    });
    const restarted = connect(60_000);
    try {
      await first;
      expect(seen.map((event) => [event.id, event.environment])).toEqual([['s1-start', 'dev']]);
      await restarted.relayOutbox();
      const left = await dev.db.execute(sql`SELECT id FROM event_outbox`);
      expect(left.rows).toEqual([]);
      // A rolled-back change leaves no event either.
      await expect(
        dev.db.transaction(async (transaction) => {
          await restarted.publishInTransaction(
            transaction as unknown as Db,
            'SessionOpened',
            { sessionId: 's2' },
            { environment: 'dev', id: 's2-start' },
          );
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      expect(await restarted.relayOutbox()).toBe(0);
      expect(seen).toHaveLength(1);
    } finally {
      await restarted.close();
      await consumer.close();
    }
  });
});

describe.skipIf(!postgres.available)('outbox relays of several processes (PostgreSQL)', () => {
  it('publishes each row once when two processes relay at the same moment', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    const database = await openDatabase({ kind: 'postgres', url: created.url });
    const connect = () =>
      createEventBus({
        transport: createEmbeddedTransport({ database, pollIntervalMs: 20, onError: () => {} }),
        database,
        catalog,
        relayIntervalMs: 0,
        batchSize: 1,
        onError: () => {},
      });
    const [first, second] = [connect(), connect()];
    try {
      await database.db.transaction(async (transaction) => {
        for (let index = 0; index < 60; index++) {
          await first.publishInTransaction(
            transaction as unknown as Db,
            'SessionOpened',
            { sessionId: `s${index}` },
            { environment: 'prod', id: `row-${index}` },
          );
        }
      });
      const relayed: string[] = [];
      for (const bus of [first, second]) {
        bus.onActivity((activity) => {
          if (activity.type === 'relayed') relayed.push(activity.event.id);
        });
      }
      const [a, b] = await Promise.all([first.relayOutbox(), second.relayOutbox()]);
      expect(a + b).toBe(60);
      expect(relayed).toHaveLength(60);
      expect(new Set(relayed).size).toBe(60);
    } finally {
      await first.close();
      await second.close();
      await database.close();
      await created.drop();
    }
  }, 60_000);
});
