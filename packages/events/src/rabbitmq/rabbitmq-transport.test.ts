import { openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import {
  amqpAvailable,
  deleteAmqpTopology,
  startTcpProxy,
  type TcpProxy,
  testAmqpUrl,
  uniqueAmqpPrefix,
} from '@switchyard/testkit';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, defineEventCatalog } from '../catalog';
import { createEventBus } from '../create-event-bus';
import type { BusActivity } from '../event-bus';
import { createRabbitmqTransport } from './rabbitmq-transport';

const hasAmqp = await amqpAvailable();
if (!hasAmqp) console.warn('[skip] RabbitMQ reconnect: no broker (set TEST_AMQP_URL; rabbitmq-server -detached)');

const catalog = defineEventCatalog([defineEvent('PingSent', { payload: Type.Object({ n: Type.Integer() }) })]);

describe.skipIf(!hasAmqp)('RabbitMQ transport', () => {
  let proxy: TcpProxy;
  let database: SwitchyardDatabase;
  const prefix = uniqueAmqpPrefix();

  beforeAll(async () => {
    const target = new URL(testAmqpUrl());
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
    database = await openDatabase({ kind: 'pglite', dataDir: null });
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.close();
    await deleteAmqpTopology(testAmqpUrl(), {
      queues: [`${prefix}PingSent.pinger`, `${prefix}switchyard.dead-letters`],
      exchanges: [`${prefix}switchyard.events`, `${prefix}switchyard.events.dead-letter`],
    });
  });

  it('consumes again after the connection to the broker was lost and came back', async () => {
    const errors: string[] = [];
    const bus = createEventBus({
      transport: createRabbitmqTransport({
        url: proxy.rewrite(testAmqpUrl()),
        prefix,
        onError: (_error, context) => errors.push(context),
      }),
      database,
      catalog,
      relayIntervalMs: 0,
      onError: () => {},
    });
    const handled: number[] = [];
    await bus.subscribe('pinger', 'PingSent', (event) => void handled.push(event.payload.n));
    const next = () =>
      new Promise<BusActivity>((resolve) => {
        const stop = bus.onActivity((activity) => {
          if (activity.type !== 'handled') return;
          stop();
          resolve(activity);
        });
      });
    let done = next();
    await bus.publish('PingSent', { n: 1 }, { environment: 'prod' });
    await done;

    proxy.cut();
    await expect(bus.publish('PingSent', { n: 2 }, { environment: 'prod' })).rejects.toMatchObject({
      code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
    });
    proxy.restore();
    done = next();
    // Publishing connects again by itself; the consumer is back on the new connection.
    await expect
      .poll(
        () =>
          bus.publish('PingSent', { n: 3 }, { environment: 'prod' }).then(
            () => true,
            () => false,
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    await done;
    expect(handled).toEqual([1, 3]);
    expect(errors).toContain('RabbitMQ connection lost');
    await bus.close();
  });
});
