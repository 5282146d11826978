import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { CloseOptions, EventEnvelope } from '../event-bus';
import type { ConsumeOptions, EventTransport, TransportDelivery } from '../transport';

export interface RabbitmqTransportOptions {
  /** amqp://user:password@host:5672/vhost */
  url: string;
  /** Put before every exchange and queue name (tests use a unique one each). Default ''. */
  prefix?: string;
  shutdownTimeoutMs?: number;
  onError?: (error: unknown, context: string) => void;
}

const attemptHeader = 'x-switchyard-attempt';
/** The broker's copy of dead letters is for operators; the bus's list (and replay) is in the database. */
const deadLetterRetentionMs = 7 * 24 * 60 * 60_000;

interface Registration {
  group: string;
  names: readonly string[];
  deliver: (delivery: TransportDelivery) => Promise<void>;
  concurrency: number;
}

interface Consumer {
  channel: Channel;
  tags: string[];
  running: Set<Promise<void>>;
}

/**
 * RabbitMQ: events go to a durable topic exchange with the event name as routing key; each
 * consumer group has a durable queue per event, named after the event (`GiftReady.ranking`),
 * with a dead-letter exchange. Publishing waits for the broker's confirm; consumers ack by hand
 * with a prefetch of their concurrency. A retry is published to a per-delay queue whose
 * messages expire back into the group's queue; a crashed consumer's unacked messages are
 * redelivered by the broker.
 */
export function createRabbitmqTransport(options: RabbitmqTransportOptions): EventTransport {
  const prefix = options.prefix ?? '';
  const exchange = `${prefix}switchyard.events`;
  const deadLetterExchange = `${prefix}switchyard.events.dead-letter`;
  const deadLetterQueue = `${prefix}switchyard.dead-letters`;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const reportError =
    options.onError ?? ((error: unknown, context: string) => console.warn(`[switchyard/events] ${context}:`, error));
  const consumers: Consumer[] = [];
  /** What `consume` set up, set up again on a new connection after the old one was lost. */
  const registrations: Registration[] = [];
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectDelayMs = 0;
  let state: 'running' | 'closing' | 'closed' = 'running';
  let crashed = false;
  let connecting: Promise<{ connection: ChannelModel; publisher: ConfirmChannel }> | undefined;

  const queueName = (group: string, name: string) => `${prefix}${name}.${group}`;

  async function open(): Promise<{ connection: ChannelModel; publisher: ConfirmChannel }> {
    // Loaded on first use: a process on another transport never evaluates amqplib.
    const { default: amqp } = await import('amqplib');
    const connection = await amqp.connect(options.url);
    connection.on('error', (error) => reportError(error, 'RabbitMQ connection error'));
    connection.on('close', () => {
      connecting = undefined;
      if (state !== 'running') return;
      reportError(new Error('the connection closed'), 'RabbitMQ connection lost');
      // Unacked messages go back to their queues; the consumers start again on a new connection.
      consumers.length = 0;
      scheduleReconnect();
    });
    try {
      const publisher = await connection.createConfirmChannel();
      publisher.on('error', (error) => reportError(error, 'RabbitMQ channel error'));
      await publisher.assertExchange(exchange, 'topic', { durable: true });
      await publisher.assertExchange(deadLetterExchange, 'fanout', { durable: true });
      await publisher.assertQueue(deadLetterQueue, {
        durable: true,
        messageTtl: deadLetterRetentionMs,
        maxLength: 100_000,
      });
      await publisher.bindQueue(deadLetterQueue, deadLetterExchange, '');
      return { connection, publisher };
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  function scheduleReconnect(): void {
    if (state !== 'running' || reconnectTimer || registrations.length === 0) return;
    reconnectDelayMs = Math.min(Math.max(reconnectDelayMs * 2, 100), 30_000);
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = undefined;
      try {
        const current = await connected();
        for (const registration of registrations) await startConsumer(current, registration);
        reconnectDelayMs = 0;
      } catch (error) {
        reportError(error, 'reconnecting to RabbitMQ failed');
        const current = await connecting?.catch(() => undefined);
        await current?.connection.close().catch(() => {});
        connecting = undefined;
        scheduleReconnect();
      }
    }, reconnectDelayMs);
    reconnectTimer.unref();
  }

  function connected(): Promise<{ connection: ChannelModel; publisher: ConfirmChannel }> {
    if (state !== 'running') return Promise.reject(new Error('the RabbitMQ transport is closed'));
    const pending = connecting ?? open();
    connecting = pending;
    pending.catch(() => {
      if (connecting === pending) connecting = undefined;
    });
    return pending;
  }

  /** Resolves when the broker confirmed the message (publisher confirms). */
  async function confirmedPublish(
    exchangeName: string,
    routingKey: string,
    envelope: EventEnvelope,
    attempt: number,
  ): Promise<void> {
    const { publisher } = await connected();
    await new Promise<void>((resolve, reject) => {
      publisher.publish(
        exchangeName,
        routingKey,
        Buffer.from(JSON.stringify(envelope)),
        {
          persistent: true,
          contentType: 'application/json',
          messageId: envelope.id,
          type: envelope.name,
          headers: { [attemptHeader]: attempt },
        },
        (error: unknown) =>
          error ? reject(error instanceof Error ? error : new Error('the broker nacked')) : resolve(),
      );
    });
  }

  async function startConsumer(
    { connection, publisher }: { connection: ChannelModel; publisher: ConfirmChannel },
    { group, names, deliver, concurrency }: Registration,
  ): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (error) => reportError(error, 'RabbitMQ channel error'));
    await channel.prefetch(concurrency);
    const running = new Set<Promise<void>>();
    const consumer: Consumer = { channel, tags: [], running };
    for (const name of names) {
      const queue = queueName(group, name);
      await channel.assertQueue(queue, { durable: true, deadLetterExchange });
      await channel.bindQueue(queue, exchange, name);
      const reply = await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          let envelope: EventEnvelope;
          try {
            envelope = JSON.parse(message.content.toString('utf8')) as EventEnvelope;
          } catch (error) {
            reportError(error, `unreadable message on '${queue}' dead-lettered`);
            channel.nack(message, false, false);
            return;
          }
          const attempt = attemptOf(message);
          const settle = async (action: () => void | Promise<void>) => {
            if (!crashed) await action();
          };
          const delivery: TransportDelivery = {
            envelope,
            attempt,
            ack: () => settle(() => channel.ack(message)),
            // Rejected without requeue: the broker moves it to the dead-letter exchange.
            deadLetter: () => settle(() => channel.nack(message, false, false)),
            retry: (delayMs) =>
              settle(async () => {
                const delay = Math.max(1, Math.round(delayMs));
                const retryQueue = `${queue}.retry.${delay}`;
                await publisher.assertQueue(retryQueue, {
                  durable: true,
                  messageTtl: delay,
                  deadLetterExchange: '',
                  deadLetterRoutingKey: queue,
                  // Unused for this long (no retry declared it again), it goes; its messages expired long before.
                  expires: delay + 60_000,
                });
                await confirmedPublish('', retryQueue, envelope, attempt + 1);
                channel.ack(message);
              }),
          };
          const done = deliver(delivery)
            .catch((error: unknown) => reportError(error, 'event delivery failed'))
            .finally(() => running.delete(done));
          running.add(done);
        },
        { noAck: false },
      );
      consumer.tags.push(reply.consumerTag);
    }
    consumers.push(consumer);
  }

  function attemptOf(message: ConsumeMessage): number {
    const value = Number(message.properties.headers?.[attemptHeader]);
    return Number.isInteger(value) && value >= 1 ? value : 1;
  }

  return {
    backend: 'rabbitmq',

    publish: (envelope) => confirmedPublish(exchange, envelope.name, envelope, 1),

    // All on the channel before the first confirm comes back; the channel keeps their order.
    publishMany: async (envelopes) => {
      await Promise.all(envelopes.map((envelope) => confirmedPublish(exchange, envelope.name, envelope, 1)));
    },

    // The default exchange routes by queue name, so only this group's queue gets it.
    sendToGroup: (group, envelope) => confirmedPublish('', queueName(group, envelope.name), envelope, 1),

    async consume(group, names, deliver, consumeOptions: ConsumeOptions) {
      const registration: Registration = { group, names, deliver, concurrency: consumeOptions.concurrency };
      await startConsumer(await connected(), registration);
      registrations.push(registration);
    },

    async close(closeOptions: CloseOptions = {}) {
      if (state !== 'running') return;
      state = 'closing';
      clearTimeout(reconnectTimer);
      const graceful = closeOptions.graceful ?? true;
      crashed = !graceful;
      const current = await connecting?.catch(() => undefined);
      if (graceful && current) {
        // Stop deliveries, let the running handlers settle (acks go on their own channel), then close.
        await Promise.all(
          consumers.flatMap((consumer) => consumer.tags.map((tag) => consumer.channel.cancel(tag).catch(() => {}))),
        );
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(consumers.flatMap((consumer) => [...consumer.running])),
          new Promise((resolve) => {
            timeout = setTimeout(resolve, closeOptions.timeoutMs ?? shutdownTimeoutMs);
          }),
        ]);
        clearTimeout(timeout);
      }
      state = 'closed';
      await current?.connection.close().catch(() => {});
    },
  };
}
