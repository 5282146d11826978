import { SwitchyardError } from '@switchyard/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Connects to REDIS_URL and checks it answers; 503 SY_ERR_DEPENDENCY_UNAVAILABLE when it does not. */
export async function connectRedis(url: string, logger: Pick<Logger, 'warn'>): Promise<Redis> {
  // ioredis loads only in a process configured with Redis. A CommonJS package: its `default` (module.exports,
  // the Redis class) is the one export both Node and the bundle give a dynamic import.
  const { default: Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 2, enableReadyCheck: true, lazyConnect: true });
  client.on('error', (error) => logger.warn({ err: error }, 'Redis connection error'));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', `Redis at REDIS_URL is not reachable`, { cause: error });
  }
  return client;
}
