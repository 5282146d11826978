import { EventEmitter, on } from 'node:events';

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
export const sessionRetentionSeconds = 3600;

export interface MemorySessionLogOptions {
  /** Default {@link sessionRetentionSeconds}; shorter only so tests can watch a session expire. */
  retentionSeconds?: number;
}

export function createMemorySessionLog(options: MemorySessionLogOptions = {}): SessionLog {
  const retentionSeconds = options.retentionSeconds ?? sessionRetentionSeconds;
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
