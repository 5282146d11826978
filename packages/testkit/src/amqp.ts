import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';

/** The test RabbitMQ: TEST_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). */
export function testAmqpUrl(): string {
  return process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/** Answers whether the test RabbitMQ is reachable, within two seconds. */
export async function amqpAvailable(url = testAmqpUrl()): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/** Exchange and queue names of one test start with this, so parallel test files never share a queue. */
export function uniqueAmqpPrefix(): string {
  return `sy-test-${randomBytes(6).toString('hex')}.`;
}

/** Deletes the queues and exchanges a test declared (RabbitMQ keeps durable ones otherwise). */
export async function deleteAmqpTopology(
  url: string,
  names: { queues: readonly string[]; exchanges: readonly string[] },
): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    for (const queue of names.queues) await channel.deleteQueue(queue).catch(() => {});
    for (const exchange of names.exchanges) await channel.deleteExchange(exchange).catch(() => {});
    await channel.close().catch(() => {});
  } finally {
    await connection.close().catch(() => {});
  }
}
