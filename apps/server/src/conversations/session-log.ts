import { EventEmitter, on } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

export interface SessionEvent {
  /** 1, 2, 3, … per session: what `Last-Event-ID` refers to. */
  id: number;
  event: string;
  data: unknown;
}

export interface SessionMeta {
  userId: string;
  chatId: string;
}

/**
 * Every event of a chat session, kept for a while after it ends so a client
 * that reconnects (to this process or, with Redis, to another one) replays
 * what it missed and then follows live.
 */
export interface SessionLog {
  create(sessionId: string, meta: SessionMeta): Promise<void>;
  meta(sessionId: string): Promise<SessionMeta | undefined>;
  append(sessionId: string, event: string, data: unknown): Promise<void>;
  /** Events with an id above `afterId`, oldest first. */
  read(sessionId: string, afterId: number): Promise<SessionEvent[]>;
  /** Resolves once there may be events after `afterId` (or after a while); never throws. */
  wait(sessionId: string, afterId: number, signal: AbortSignal): Promise<void>;
  requestStop(sessionId: string): Promise<void>;
  stopRequested(sessionId: string): Promise<boolean>;
  close(): void;
}

/** Sessions are replayable for this long after they start. */
const retentionSeconds = 3600;

export function createMemorySessionLog(): SessionLog {
  const sessions = new Map<string, { meta: SessionMeta; events: SessionEvent[]; stop: boolean }>();
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const timers = new Set<NodeJS.Timeout>();
  return {
    async create(sessionId, meta) {
      sessions.set(sessionId, { meta, events: [], stop: false });
      const timer = setTimeout(() => {
        sessions.delete(sessionId);
        timers.delete(timer);
      }, retentionSeconds * 1000);
      timer.unref();
      timers.add(timer);
    },
    async meta(sessionId) {
      return sessions.get(sessionId)?.meta;
    },
    async append(sessionId, event, data) {
      const session = sessions.get(sessionId);
      if (!session) return;
      session.events.push({ id: session.events.length + 1, event, data });
      changes.emit(sessionId);
    },
    async read(sessionId, afterId) {
      return sessions.get(sessionId)?.events.slice(Math.max(0, afterId)) ?? [];
    },
    async wait(sessionId, afterId, signal) {
      // An event appended between the caller's read and this call must not be waited for.
      if ((sessions.get(sessionId)?.events.length ?? 0) > afterId) return;
      const timeout = AbortSignal.any([signal, AbortSignal.timeout(15_000)]);
      try {
        for await (const _ of on(changes, sessionId, { signal: timeout })) return;
      } catch {
        // Aborted or timed out: the caller reads again and decides.
      }
    },
    async requestStop(sessionId) {
      const session = sessions.get(sessionId);
      if (session) session.stop = true;
    },
    async stopRequested(sessionId) {
      return sessions.get(sessionId)?.stop === true;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      sessions.clear();
    },
  };
}

/**
 * Server mode: a Redis list per session (JSON events, index + 1 = id) with a
 * TTL, so any API process can replay and follow. Followers poll briefly
 * instead of holding a subscriber connection per open stream.
 */
export function createRedisSessionLog(redis: Redis, pollMs = 100): SessionLog {
  const key = (sessionId: string, part: string) => `switchyard:chat-session:${sessionId}:${part}`;
  return {
    async create(sessionId, meta) {
      await redis.set(key(sessionId, 'meta'), JSON.stringify(meta), 'EX', retentionSeconds);
    },
    async meta(sessionId) {
      const stored = await redis.get(key(sessionId, 'meta'));
      return stored ? (JSON.parse(stored) as SessionMeta) : undefined;
    },
    async append(sessionId, event, data) {
      const eventsKey = key(sessionId, 'events');
      // The id is the list length after the push, so ids stay dense even with concurrent readers.
      const length = await redis.rpush(eventsKey, JSON.stringify({ event, data }));
      if (length === 1) await redis.expire(eventsKey, retentionSeconds);
    },
    async read(sessionId, afterId) {
      const items = await redis.lrange(key(sessionId, 'events'), Math.max(0, afterId), -1);
      return items.map((item, index) => {
        const parsed = JSON.parse(item) as { event: string; data: unknown };
        return { id: Math.max(0, afterId) + index + 1, event: parsed.event, data: parsed.data };
      });
    },
    async wait(_sessionId, _afterId, signal) {
      await sleep(pollMs, undefined, { signal }).catch(() => {});
    },
    async requestStop(sessionId) {
      await redis.set(key(sessionId, 'stop'), '1', 'EX', retentionSeconds);
    },
    async stopRequested(sessionId) {
      return (await redis.exists(key(sessionId, 'stop'))) === 1;
    },
    close() {},
  };
}
