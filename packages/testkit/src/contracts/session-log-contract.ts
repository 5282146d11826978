import { randomUUID } from 'node:crypto';
import type { SessionEvent, SessionLog, SessionMeta } from '@switchyard/core';
import { describe, expect, it } from 'vitest';

/** Two handles on one shared log (for Redis: two connections, as two API processes would have). */
export interface SessionLogHandles {
  first: SessionLog;
  second: SessionLog;
}

/**
 * Opens a fresh, empty shared log. `retentionSeconds` is passed only by the
 * expiry test; otherwise the implementation's default applies.
 */
export type OpenSessionLog = (options: { retentionSeconds?: number }) => Promise<SessionLogHandles>;

/** A safety net against a hung test, never what decides an outcome. */
const safetyMs = 10_000;

const newSessionId = () => `cs_${randomUUID().replaceAll('-', '')}`;
const metaFor = (sessionId: string): SessionMeta => ({ userId: `user-${sessionId}`, chatId: `chat-${sessionId}` });

/**
 * Reads and waits the way the chat stream route does, until a `done` event,
 * calling `onEvent` for each event as it arrives.
 */
async function follow(
  log: SessionLog,
  sessionId: string,
  afterId: number,
  onEvent: (event: SessionEvent) => void = () => {},
): Promise<SessionEvent[]> {
  const signal = AbortSignal.timeout(safetyMs);
  const seen: SessionEvent[] = [];
  let last = afterId;
  while (!signal.aborted) {
    const events = await log.read(sessionId, last);
    for (const event of events) {
      seen.push(event);
      last = event.id;
      onEvent(event);
      if (event.event === 'done') return seen;
    }
    if (events.length === 0) await log.wait(sessionId, last, signal);
  }
  throw new Error(`No done event within ${safetyMs} ms; saw ${seen.length} events`);
}

/** Behaviour every chat session log shares: what the chat stream, resume and stop rely on. */
export function describeSessionLogContract(backendName: string, open: OpenSessionLog): void {
  describe(`session log contract: ${backendName}`, () => {
    it('keeps appended events in order with ids 1, 2, 3, … on every handle', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      await first.append(sessionId, 'start', { sessionId });
      for (const content of ['one', 'two', 'three']) await first.append(sessionId, 'delta', { content });
      await first.append(sessionId, 'done', { status: 'complete' });
      const expected = [
        { id: 1, event: 'start', data: { sessionId } },
        { id: 2, event: 'delta', data: { content: 'one' } },
        { id: 3, event: 'delta', data: { content: 'two' } },
        { id: 4, event: 'delta', data: { content: 'three' } },
        { id: 5, event: 'done', data: { status: 'complete' } },
      ];
      expect(await first.read(sessionId, 0)).toEqual(expected);
      expect(await second.read(sessionId, 0)).toEqual(expected);
    });

    it('resumes after a Last-Event-ID with exactly the events after it', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      for (let index = 1; index <= 6; index += 1) await first.append(sessionId, 'delta', { content: `${index}` });
      for (let afterId = 0; afterId <= 6; afterId += 1) {
        const events = await second.read(sessionId, afterId);
        expect(events.map((event) => event.id)).toEqual(Array.from({ length: 6 - afterId }, (_, i) => afterId + i + 1));
        expect(events.map((event) => (event.data as { content: string }).content)).toEqual(
          events.map((event) => `${event.id}`),
        );
      }
      expect(await second.read(sessionId, 60)).toEqual([]);
      // A negative id (never sent by the route, which validates it) reads from the start.
      expect(await second.read(sessionId, -3)).toHaveLength(6);
    });

    it('stores the session meta, visible on every handle; nothing for an unknown session', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, { userId: 'user-1', chatId: 'chat-1' });
      expect(await second.meta(sessionId)).toEqual({ userId: 'user-1', chatId: 'chat-1' });
      const unknown = newSessionId();
      expect(await second.meta(unknown)).toBeUndefined();
      expect(await second.read(unknown, 0)).toEqual([]);
      expect(await second.stopRequested(unknown)).toBe(false);
    });

    it('keeps sessions apart', async () => {
      const { first, second } = await open({});
      const [one, two] = [newSessionId(), newSessionId()];
      await first.create(one, metaFor(one));
      await second.create(two, metaFor(two));
      await first.append(one, 'delta', { content: 'for one' });
      await second.append(two, 'delta', { content: 'for two' });
      await second.append(one, 'done', { status: 'complete' });
      expect(await first.meta(one)).toEqual(metaFor(one));
      expect(await first.meta(two)).toEqual(metaFor(two));
      expect(await second.read(one, 0)).toEqual([
        { id: 1, event: 'delta', data: { content: 'for one' } },
        { id: 2, event: 'done', data: { status: 'complete' } },
      ]);
      expect(await first.read(two, 0)).toEqual([{ id: 1, event: 'delta', data: { content: 'for two' } }]);
    });

    it('gives event data back as it was appended: nested JSON, unicode, control characters, null', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      const payloads = [
        { content: 'héllo wörld — 你好 👋🏽 e\u0301' },
        { content: 'line\nbreak\ttab "quotes" \\ back\u0000slash\u001f' },
        { messageId: 'm1', status: 'complete', finish_reason: null, usage: { prompt_tokens: 3, completion_tokens: 7 } },
        { error: { code: 'SY_ERR_UPSTREAM', message: 'The model failed while answering' } },
        null,
        ['a', 1, true, { nested: [null] }],
      ];
      await first.create(sessionId, metaFor(sessionId));
      for (const data of payloads) await first.append(sessionId, 'delta', data);
      expect((await second.read(sessionId, 0)).map((event) => event.data)).toEqual(payloads);
    });

    it('signals a stop request to every handle, for that session only', async () => {
      const { first, second } = await open({});
      const [stopped, running] = [newSessionId(), newSessionId()];
      await first.create(stopped, metaFor(stopped));
      await first.create(running, metaFor(running));
      expect(await first.stopRequested(stopped)).toBe(false);
      await second.requestStop(stopped);
      expect(await first.stopRequested(stopped)).toBe(true);
      expect(await second.stopRequested(stopped)).toBe(true);
      expect(await first.stopRequested(running)).toBe(false);
      await second.requestStop(stopped);
      expect(await first.stopRequested(stopped)).toBe(true);
    });

    it('lets a follower on another handle see events live, up to and including done', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      let sawStart: () => void = () => {};
      const startSeen = new Promise<void>((resolve) => {
        sawStart = resolve;
      });
      const following = follow(second, sessionId, 0, (event) => {
        if (event.event === 'start') sawStart();
      });
      await first.append(sessionId, 'start', { sessionId });
      // The rest is written only once the follower has the first event, so it must be following live.
      await startSeen;
      for (let index = 0; index < 5; index += 1) await first.append(sessionId, 'delta', { content: `${index}` });
      await first.append(sessionId, 'done', { status: 'complete' });
      const events = await following;
      expect(events.map((event) => event.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(events.map((event) => event.event)).toEqual(['start', ...Array(5).fill('delta'), 'done']);
      // A client reconnecting with Last-Event-ID 3 gets the rest once, without duplicates.
      expect((await follow(first, sessionId, 3)).map((event) => event.id)).toEqual([4, 5, 6, 7]);
    });

    it('returns from wait at once when there already are events after the given id', async () => {
      const { first } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      await first.append(sessionId, 'start', { sessionId });
      const safety = AbortSignal.timeout(safetyMs);
      await first.wait(sessionId, 0, safety);
      expect(safety.aborted).toBe(false);
    });

    it('wakes a waiting follower when an event is appended', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      const safety = AbortSignal.timeout(safetyMs);
      const waiting = second.wait(sessionId, 0, safety);
      await first.append(sessionId, 'start', { sessionId });
      await waiting;
      expect(safety.aborted).toBe(false);
      expect(await second.read(sessionId, 0)).toHaveLength(1);
    });

    it('ends a wait without throwing when its signal aborts, also for an unknown session', async () => {
      const { first } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      const controller = new AbortController();
      const waits = [first.wait(sessionId, 0, controller.signal), first.wait(newSessionId(), 0, controller.signal)];
      controller.abort(new Error('client went away'));
      await expect(Promise.all(waits)).resolves.toEqual([undefined, undefined]);
      const alreadyAborted = AbortSignal.abort();
      await expect(first.wait(sessionId, 0, alreadyAborted)).resolves.toBeUndefined();
    });

    it('numbers the events of concurrent writers densely, losing none', async () => {
      const { first, second } = await open({});
      const sessionId = newSessionId();
      await first.create(sessionId, metaFor(sessionId));
      const writer = async (log: SessionLog, name: string) => {
        for (let index = 0; index < 25; index += 1) await log.append(sessionId, 'delta', { writer: name, index });
      };
      await Promise.all([writer(first, 'a'), writer(second, 'b'), writer(first, 'c')]);
      const events = await second.read(sessionId, 0);
      expect(events.map((event) => event.id)).toEqual(Array.from({ length: 75 }, (_, index) => index + 1));
      for (const name of ['a', 'b', 'c']) {
        const mine = events
          .map((event) => event.data as { writer: string; index: number })
          .filter((data) => data.writer === name)
          .map((data) => data.index);
        // Each writer's own events keep the order it appended them in.
        expect(mine).toEqual(Array.from({ length: 25 }, (_, index) => index));
      }
    });

    it('forgets a session, its events and its stop request after the retention', async () => {
      const retentionSeconds = 1;
      const { first, second } = await open({ retentionSeconds });
      const sessionId = newSessionId();
      const createdAt = Date.now();
      await first.create(sessionId, metaFor(sessionId));
      await first.append(sessionId, 'start', { sessionId });
      await first.requestStop(sessionId);
      const state = async () => ({
        meta: await second.meta(sessionId),
        events: (await second.read(sessionId, 0)).length,
        stop: await second.stopRequested(sessionId),
      });
      const early = await state();
      // Only conclusive if the machine did not stall past the retention in between.
      if (Date.now() - createdAt < retentionSeconds * 1000) {
        expect(early).toEqual({ meta: metaFor(sessionId), events: 1, stop: true });
      }
      const gone = { meta: undefined, events: 0, stop: false };
      const deadline = Date.now() + safetyMs;
      let latest = early;
      while (Date.now() < deadline) {
        latest = await state();
        if (latest.meta === undefined && latest.events === 0 && !latest.stop) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(latest).toEqual(gone);
    });
  });
}
