import { randomUUID } from 'node:crypto';
import { type Db, openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  amqpAvailable,
  createTestPostgresDatabase,
  deleteAmqpTopology,
  errorOf,
  probePostgres,
  redisAvailable,
  testAmqpUrl,
  testRedisUrl,
  uniqueAmqpPrefix,
} from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import Type from 'typebox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, defineEventCatalog } from './catalog';
import { createEventBus } from './create-event-bus';
import { createEmbeddedTransport } from './embedded/embedded-transport';
import type { BusActivity, EventBus, EventEnvelope } from './event-bus';
import { createRabbitmqTransport } from './rabbitmq/rabbitmq-transport';
import { createRedisStreamsTransport } from './redis/redis-streams-transport';
import type { EventTransport } from './transport';

const testEvents = defineEventCatalog([
  defineEvent('OrderPlaced', {
    payload: Type.Object({ orderId: Type.String({ minLength: 1 }), amount: Type.Number({ minimum: 0 }) }),
    version: 2,
  }),
  defineEvent('OrderShipped', { payload: Type.Object({ orderId: Type.String({ minLength: 1 }) }) }),
]);
type TestBus = EventBus<typeof testEvents>;
const groups = ['billing', 'shipping', 'audit'] as const;

interface Fixture {
  database: SwitchyardDatabase;
  /** A transport on the current test's queues; several per test act as several processes. */
  transport(): EventTransport;
  reset(): Promise<void>;
  cleanup(): Promise<void>;
}

function quiet(error: unknown, context: string): void {
  const message = error instanceof Error ? error.message : String(error);
  if (/closed|ended|terminat|Connection is closed|Channel ended|connection lost/i.test(message)) return;
  console.warn(`[event bus contract] ${context}:`, error);
}

/** Resolves with the first activity matching `predicate` from now on. */
function next(bus: TestBus, predicate: (activity: BusActivity) => boolean): Promise<BusActivity> {
  return new Promise((resolve) => {
    const stop = bus.onActivity((activity) => {
      if (!predicate(activity)) return;
      stop();
      resolve(activity);
    });
  });
}

/** Resolves once `count` activities matched. */
function collect(bus: TestBus, count: number, predicate: (activity: BusActivity) => boolean): Promise<BusActivity[]> {
  const seen: BusActivity[] = [];
  return new Promise((resolve) => {
    const stop = bus.onActivity((activity) => {
      if (!predicate(activity)) return;
      seen.push(activity);
      if (seen.length === count) {
        stop();
        resolve(seen);
      }
    });
  });
}

function describeEventBusContract(name: string, setup: () => Promise<Fixture>): void {
  describe(`event bus contract: ${name}`, () => {
    let fixture: Fixture;
    const opened: TestBus[] = [];

    beforeAll(async () => {
      fixture = await setup();
    });
    afterEach(async () => {
      await Promise.all(opened.map((bus) => bus.close({ graceful: true, timeoutMs: 500 })));
      opened.length = 0;
      await fixture.reset();
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    function connect(options: { relayIntervalMs?: number } = {}): TestBus {
      const bus = createEventBus({
        transport: fixture.transport(),
        database: fixture.database,
        catalog: testEvents,
        retryPolicy: { maxAttempts: 3, initialDelayMs: 20, factor: 2, maxDelayMs: 1_000 },
        relayIntervalMs: options.relayIntervalMs ?? 0,
        onError: quiet,
      });
      opened.push(bus);
      return bus;
    }

    it('refuses unknown events, bad payloads, bad ids and unknown subscriptions with SY_ERR_VALIDATION', async () => {
      const bus = connect();
      const unknown = await errorOf(
        bus.publish(
          'NoSuchEvent' as 'OrderPlaced',
          { orderId: 'a', amount: 1 },
          {
            environment: 'prod',
          },
        ),
      );
      expect(unknown).toMatchObject({ code: 'SY_ERR_VALIDATION', message: "Unknown event 'NoSuchEvent'" });
      const bad = await errorOf(bus.publish('OrderPlaced', { orderId: 'a', amount: -1 }, { environment: 'prod' }));
      expect(bad).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      expect((bad as Error).message).toMatch(/Invalid payload for event 'OrderPlaced': \/amount/);
      const badId = await errorOf(
        bus.publish('OrderShipped', { orderId: 'a' }, { environment: 'prod', id: 'no spaces' }),
      );
      expect(badId).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      const badEnvironment = await errorOf(
        bus.publish('OrderShipped', { orderId: 'a' }, { environment: 'test' as 'prod' }),
      );
      expect(badEnvironment).toMatchObject({ code: 'SY_ERR_VALIDATION' });
      await expect(bus.subscribe('billing', 'Nope' as 'OrderPlaced', () => {})).rejects.toMatchObject({
        code: 'SY_ERR_VALIDATION',
      });
      await expect(bus.subscribe('Bad Group', 'OrderPlaced', () => {})).rejects.toMatchObject({
        code: 'SY_ERR_VALIDATION',
      });
    });

    it('delivers an event once to every consumer group, with its envelope', async () => {
      const bus = connect();
      const received: Record<string, EventEnvelope[]> = { billing: [], shipping: [] };
      await bus.subscribe('billing', 'OrderPlaced', (event) => void received.billing?.push(event));
      await bus.subscribe('shipping', ['OrderPlaced', 'OrderShipped'], (event) => void received.shipping?.push(event));
      const handled = collect(bus, 3, (activity) => activity.type === 'handled');
      const placed = await bus.publish(
        'OrderPlaced',
        { orderId: 'o-1', amount: 12.5 },
        { environment: 'dev', flowId: 'flow-1' },
      );
      await bus.publish('OrderShipped', { orderId: 'o-1' }, { environment: 'dev' });
      await handled;
      expect(received.billing).toEqual([placed]);
      expect(placed).toMatchObject({ name: 'OrderPlaced', version: 2, environment: 'dev', flowId: 'flow-1' });
      expect(received.shipping?.map((event) => event.name).sort()).toEqual(['OrderPlaced', 'OrderShipped']);
    });

    it('shares a group’s events between its consumers: each event is handled by one of them', async () => {
      const first = connect();
      const second = connect();
      const handledBy = new Map<string, string[]>();
      const record = (who: string) => (event: EventEnvelope) => {
        handledBy.set(event.id, [...(handledBy.get(event.id) ?? []), who]);
      };
      await first.subscribe('billing', 'OrderPlaced', record('first'), { concurrency: 2 });
      await second.subscribe('billing', 'OrderPlaced', record('second'), { concurrency: 2 });
      const count = 30;
      let handled = 0;
      const allHandled = new Promise<void>((resolve) => {
        for (const bus of [first, second]) {
          bus.onActivity((activity) => {
            if (activity.type === 'handled' && ++handled === count) resolve();
          });
        }
      });
      for (let index = 0; index < count; index++) {
        await first.publish('OrderPlaced', { orderId: `o-${index}`, amount: index }, { environment: 'prod' });
      }
      await allHandled;
      expect(handledBy.size).toBe(count);
      for (const handlers of handledBy.values()) expect(handlers).toHaveLength(1);
    });

    it('retries a failing handler with exponential back-off, then it succeeds', async () => {
      const bus = connect();
      const attempts: number[] = [];
      await bus.subscribe('billing', 'OrderPlaced', (_event, context) => {
        attempts.push(context.attempt);
        if (context.attempt < 3) throw new Error(`failure ${context.attempt}`);
      });
      const retries = collect(bus, 2, (activity) => activity.type === 'retrying');
      const handled = next(bus, (activity) => activity.type === 'handled');
      await bus.publish('OrderPlaced', { orderId: 'o-1', amount: 1 }, { environment: 'prod' });
      expect(await handled).toMatchObject({ attempt: 3 });
      expect((await retries).map((activity) => activity.type === 'retrying' && activity.delayMs)).toEqual([20, 40]);
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('dead-letters after the last attempt; replay sends it to that group only, with attempts reset', async () => {
      const bus = connect();
      let failing = true;
      const shippingSeen: string[] = [];
      await bus.subscribe('billing', 'OrderPlaced', () => {
        if (failing) throw new Error('the ledger is locked (secret-token)');
      });
      await bus.subscribe('shipping', 'OrderPlaced', (event) => void shippingSeen.push(event.id));
      const dead = next(bus, (activity) => activity.type === 'dead');
      const shipped = next(bus, (activity) => activity.type === 'handled' && activity.group === 'shipping');
      const event = await bus.publish('OrderPlaced', { orderId: 'o-9', amount: 3 }, { environment: 'dev' });
      const deadActivity = await dead;
      await shipped;
      const letters = await bus.listDeadLetters();
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        group: 'billing',
        attempts: 3,
        event: { id: event.id, name: 'OrderPlaced' },
        lastError: { message: 'the ledger is locked (secret-token)', code: null },
      });
      expect(deadActivity).toMatchObject({ deadLetterId: letters[0]?.id });
      expect(await bus.listDeadLetters({ environments: ['prod'] })).toEqual([]);
      expect(await bus.listDeadLetters({ group: 'shipping' })).toEqual([]);

      failing = false;
      const replayed = next(bus, (activity) => activity.type === 'handled' && activity.group === 'billing');
      const id = letters[0]?.id ?? '';
      await expect(bus.replayDeadLetter(id)).resolves.toMatchObject({ id });
      expect(await replayed).toMatchObject({ attempt: 1, event: { id: event.id } });
      expect(await bus.listDeadLetters()).toEqual([]);
      expect(shippingSeen).toEqual([event.id]);
      await expect(bus.replayDeadLetter(id)).rejects.toMatchObject({ code: 'SY_ERR_NOT_FOUND' });
    });

    it('handles a redelivered event once per group (the event id is recorded)', async () => {
      const bus = connect();
      let calls = 0;
      await bus.subscribe('billing', 'OrderShipped', () => void calls++);
      const handled = next(bus, (activity) => activity.type === 'handled');
      const id = randomUUID();
      await bus.publish('OrderShipped', { orderId: 'o-1' }, { environment: 'prod', id });
      await handled;
      const duplicate = next(bus, (activity) => activity.type === 'duplicate');
      await bus.publish('OrderShipped', { orderId: 'o-1' }, { environment: 'prod', id });
      expect(await duplicate).toMatchObject({ group: 'billing', event: { id } });
      expect(calls).toBe(1);
    });

    it('batches: a burst and a relayed outbox are each handled once per group, a repeated id once in all', async () => {
      const bus = connect();
      const counts = new Map<string, number>();
      await bus.subscribe(
        'billing',
        'OrderShipped',
        (event) => void counts.set(event.id, (counts.get(event.id) ?? 0) + 1),
        { concurrency: 8 },
      );
      const burst = Array.from({ length: 40 }, () => randomUUID());
      const handledBurst = collect(bus, burst.length, (activity) => activity.type === 'handled');
      await Promise.all(
        burst.map((id, index) => bus.publish('OrderShipped', { orderId: `b-${index}` }, { environment: 'prod', id })),
      );
      await handledBurst;
      // 30 outbox rows go out in one relay; the first burst id among them is a redelivery.
      const relayed = Array.from({ length: 29 }, () => randomUUID());
      const repeated = burst[0] as string;
      const settled = collect(bus, 30, (activity) => activity.type === 'handled' || activity.type === 'duplicate');
      await fixture.database.db.transaction(async (transaction) => {
        for (const id of [...relayed, repeated]) {
          await bus.publishInTransaction(
            transaction as unknown as Db,
            'OrderShipped',
            { orderId: id },
            { environment: 'prod', id },
          );
        }
      });
      expect(await bus.relayOutbox()).toBe(30);
      const outcomes = await settled;
      expect(outcomes.filter((activity) => activity.type === 'duplicate').map((activity) => activity.event.id)).toEqual(
        [repeated],
      );
      expect(counts.size).toBe(burst.length + relayed.length);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
    });

    it('recordConsumed: the record commits or rolls back with the handler’s transaction', async () => {
      const bus = connect();
      const attempts: number[] = [];
      let conflict: unknown;
      await bus.subscribe('billing', 'OrderShipped', async (_event, context) => {
        attempts.push(context.attempt);
        if (context.attempt === 1) {
          // The state change failed after the record: both roll back, so the retry is not a duplicate.
          await expect(
            fixture.database.db.transaction(async (transaction) => {
              await context.recordConsumed(transaction as unknown as Db);
              throw new Error('the state change failed');
            }),
          ).rejects.toThrow('the state change failed');
          throw new Error('try again');
        }
        await fixture.database.db.transaction(async (transaction) => {
          await context.recordConsumed(transaction as unknown as Db);
        });
        conflict = await errorOf(
          fixture.database.db.transaction((transaction) => context.recordConsumed(transaction as unknown as Db)),
        );
      });
      const handled = next(bus, (activity) => activity.type === 'handled');
      const id = randomUUID();
      await bus.publish('OrderShipped', { orderId: 'o-r' }, { environment: 'prod', id });
      expect(await handled).toMatchObject({ attempt: 2, event: { id } });
      expect(conflict).toMatchObject({ code: 'SY_ERR_CONFLICT' });
      const duplicate = next(bus, (activity) => activity.type === 'duplicate');
      await bus.publish('OrderShipped', { orderId: 'o-r' }, { environment: 'prod', id });
      expect(await duplicate).toMatchObject({ group: 'billing', event: { id } });
      expect(attempts).toEqual([1, 2]);
    });

    it('keeps a group’s events while none of its consumers runs', async () => {
      const before = connect();
      await before.subscribe('billing', 'OrderPlaced', () => {});
      await before.close();
      const publisher = connect();
      const event = await publisher.publish('OrderPlaced', { orderId: 'o-2', amount: 2 }, { environment: 'prod' });
      const after = connect();
      const handled = next(after, (activity) => activity.type === 'handled');
      await after.subscribe('billing', 'OrderPlaced', () => {});
      expect(await handled).toMatchObject({ event: { id: event.id }, group: 'billing' });
    });

    it('gives the event of a consumer that crashed mid-handler to another consumer of the group', async () => {
      const crashing = connect();
      let startedWith: (event: EventEnvelope) => void = () => {};
      const started = new Promise<EventEnvelope>((resolve) => {
        startedWith = resolve;
      });
      await crashing.subscribe('billing', 'OrderPlaced', (event) => {
        startedWith(event);
        return new Promise<void>(() => {});
      });
      const event = await crashing.publish('OrderPlaced', { orderId: 'o-3', amount: 3 }, { environment: 'prod' });
      expect((await started).id).toBe(event.id);
      await crashing.close({ graceful: false });
      const survivor = connect();
      const handled = next(survivor, (activity) => activity.type === 'handled');
      await survivor.subscribe('billing', 'OrderPlaced', () => {});
      expect(await handled).toMatchObject({ event: { id: event.id } });
    });

    it('outbox: an event commits with the state change, a rolled-back one is never published', async () => {
      const bus = connect();
      const seen: string[] = [];
      await bus.subscribe('audit', 'OrderShipped', (event) => {
        seen.push((event.payload as { orderId: string }).orderId);
      });
      await expect(
        fixture.database.db.transaction(async (transaction) => {
          await bus.publishInTransaction(
            transaction as unknown as Db,
            'OrderShipped',
            { orderId: 'rolled-back' },
            {
              environment: 'prod',
            },
          );
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      const handled = next(bus, (activity) => activity.type === 'handled');
      await fixture.database.db.transaction(async (transaction) => {
        await bus.publishInTransaction(
          transaction as unknown as Db,
          'OrderShipped',
          { orderId: 'committed' },
          {
            environment: 'prod',
          },
        );
      });
      expect(await bus.relayOutbox()).toBe(1);
      await handled;
      expect(seen).toEqual(['committed']);
      await expect(
        bus.publishInTransaction(fixture.database.db, 'OrderShipped', { orderId: '' }, { environment: 'prod' }),
      ).rejects.toMatchObject({ code: 'SY_ERR_VALIDATION' });
    });

    it('outbox: a process that crashed after the commit loses nothing; a relay that crashed after publishing causes no second handling', async () => {
      // Committed, then the process died before its relay ran.
      const crashed = connect();
      await fixture.database.db.transaction(async (transaction) => {
        await crashed.publishInTransaction(
          transaction as unknown as Db,
          'OrderShipped',
          { orderId: 'kept' },
          {
            environment: 'prod',
            id: 'outbox-event-1',
          },
        );
      });
      await crashed.close({ graceful: false });

      const consumer = connect();
      let calls = 0;
      await consumer.subscribe('audit', 'OrderShipped', () => void calls++);
      const handled = next(consumer, (activity) => activity.type === 'handled');
      // A new process relays what the outbox holds when it starts.
      const restarted = connect({ relayIntervalMs: 60_000 });
      expect(await handled).toMatchObject({ event: { id: 'outbox-event-1' } });
      // The relay deletes the row after the broker confirmed it, which may be after the handler ran.
      await restarted.relayOutbox();

      // Relayed but not yet deleted when the relay died: the row is published again and skipped.
      const duplicate = next(consumer, (activity) => activity.type === 'duplicate');
      await fixture.database.db.transaction(async (transaction) => {
        await restarted.publishInTransaction(
          transaction as unknown as Db,
          'OrderShipped',
          { orderId: 'kept' },
          {
            environment: 'prod',
            id: 'outbox-event-1',
          },
        );
      });
      await restarted.relayOutbox();
      await duplicate;
      expect(calls).toBe(1);
    });
  });
}

async function clearTables(database: SwitchyardDatabase): Promise<void> {
  for (const table of [
    'event_outbox',
    'event_consumed',
    'event_dead_letters',
    'event_subscriptions',
    'event_deliveries',
  ]) {
    await database.db.execute(sql.raw(`DELETE FROM ${table}`));
  }
}

function embeddedFixture(database: SwitchyardDatabase, leaseMs: number, release: () => Promise<void>): Fixture {
  return {
    database,
    transport: () =>
      createEmbeddedTransport({ database, leaseMs, pollIntervalMs: 100, shutdownTimeoutMs: 1_000, onError: quiet }),
    reset: () => clearTables(database),
    async cleanup() {
      await database.close();
      await release();
    },
  };
}

describeEventBusContract('embedded on PGlite', async () =>
  embeddedFixture(await openDatabase({ kind: 'pglite', dataDir: null }), 1_000, async () => {}),
);

const postgresProbe = await probePostgres();
if (!postgresProbe.available) {
  console.warn(`[skip] embedded event bus on PostgreSQL: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}
describe.skipIf(!postgresProbe.available)('PostgreSQL', () => {
  describeEventBusContract('embedded on PostgreSQL', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    return embeddedFixture(await openDatabase({ kind: 'postgres', url: created.url, poolSize: 10 }), 500, created.drop);
  });
});

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] event bus on Redis Streams: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);
describe.skipIf(!hasRedis)('Redis', () => {
  describeEventBusContract('Redis Streams', async () => {
    // The bookkeeping (consumed ids, dead letters, outbox) lives in the database on every backend.
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    const admin = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    const newPrefix = () => `sy-test-${randomUUID().slice(0, 12)}`;
    let prefix = newPrefix();
    const deleteKeys = async () => {
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
    };
    return {
      database,
      transport: () =>
        createRedisStreamsTransport({
          redisUrl: testRedisUrl(),
          prefix,
          claimIdleMs: 300,
          claimIntervalMs: 100,
          retryPollMs: 10,
          blockMs: 200,
          shutdownTimeoutMs: 1_000,
          onError: quiet,
        }),
      async reset() {
        await deleteKeys();
        await clearTables(database);
        prefix = newPrefix();
      },
      async cleanup() {
        await deleteKeys();
        admin.disconnect();
        await database.close();
      },
    };
  });
});

const hasAmqp = await amqpAvailable();
if (!hasAmqp) {
  console.warn(
    `[skip] event bus on RabbitMQ: no broker at ${testAmqpUrl().replace(/\/\/[^@]*@/, '//')} (set TEST_AMQP_URL; start it with rabbitmq-server -detached)`,
  );
}
describe.skipIf(!hasAmqp)('RabbitMQ', () => {
  describeEventBusContract('RabbitMQ', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    let prefix = uniqueAmqpPrefix();
    const deleteTopology = () =>
      deleteAmqpTopology(testAmqpUrl(), {
        queues: [
          `${prefix}switchyard.dead-letters`,
          ...groups.flatMap((group) => Object.keys(testEvents).map((name) => `${prefix}${name}.${group}`)),
        ],
        exchanges: [`${prefix}switchyard.events`, `${prefix}switchyard.events.dead-letter`],
      });
    return {
      database,
      transport: () =>
        createRabbitmqTransport({ url: testAmqpUrl(), prefix, shutdownTimeoutMs: 1_000, onError: quiet }),
      async reset() {
        await deleteTopology();
        await clearTables(database);
        prefix = uniqueAmqpPrefix();
      },
      async cleanup() {
        await deleteTopology();
        await database.close();
      },
    };
  });
});
