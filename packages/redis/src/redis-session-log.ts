import { setTimeout as sleep } from 'node:timers/promises';
import { type SessionLog, type SessionMeta, sessionRetentionSeconds } from '@switchyard/core';
import type { Redis } from 'ioredis';

export interface RedisSessionLogOptions {
  /** Default `switchyard:chat-session`, the key names every deployed version uses. */
  keyPrefix?: string;
  /** How often a follower looks for new events. */
  pollMs?: number;
  /** Default {@link sessionRetentionSeconds}; shorter only so tests can watch a session expire. */
  retentionSeconds?: number;
}

/**
 * Server mode: a Redis list per session (JSON events, index + 1 = id) with a
 * TTL, so any API process can replay and follow. Followers poll briefly
 * instead of holding a subscriber connection per open stream.
 */
export function createRedisSessionLog(client: Redis, options: RedisSessionLogOptions = {}): SessionLog {
  const keyPrefix = options.keyPrefix ?? 'switchyard:chat-session';
  const pollMs = options.pollMs ?? 100;
  const retentionSeconds = options.retentionSeconds ?? sessionRetentionSeconds;
  const key = (sessionId: string, part: string) => `${keyPrefix}:${sessionId}:${part}`;
  return {
    async create(sessionId, meta) {
      await client.set(key(sessionId, 'meta'), JSON.stringify(meta), 'EX', retentionSeconds);
    },
    async meta(sessionId) {
      const stored = await client.get(key(sessionId, 'meta'));
      return stored ? (JSON.parse(stored) as SessionMeta) : undefined;
    },
    async append(sessionId, event, data) {
      const eventsKey = key(sessionId, 'events');
      // The id is the list length after the push, so ids stay dense even with concurrent readers.
      const length = await client.rpush(eventsKey, JSON.stringify({ event, data }));
      if (length === 1) await client.expire(eventsKey, retentionSeconds);
    },
    async read(sessionId, afterId) {
      const items = await client.lrange(key(sessionId, 'events'), Math.max(0, afterId), -1);
      return items.map((item, index) => {
        const parsed = JSON.parse(item) as { event: string; data: unknown };
        return { id: Math.max(0, afterId) + index + 1, event: parsed.event, data: parsed.data };
      });
    },
    async wait(_sessionId, _afterId, signal) {
      await sleep(pollMs, undefined, { signal }).catch(() => {});
    },
    async requestStop(sessionId) {
      await client.set(key(sessionId, 'stop'), '1', 'EX', retentionSeconds);
    },
    async stopRequested(sessionId) {
      return (await client.exists(key(sessionId, 'stop'))) === 1;
    },
    close() {},
  };
}
