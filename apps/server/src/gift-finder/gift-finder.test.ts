import { eventually, type FakeOpenAIServer, startFakeOpenAI } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import {
  type MarketplaceFakes,
  readSse,
  type ScriptedGiftModel,
  scriptedGiftModel,
  startMarketplaceFakes,
} from './gift-finder-testing';

const base = '/v1/apps/gift-finder/sessions';

describe('gift finder end to end (embedded)', () => {
  let upstream: FakeOpenAIServer;
  let model: ScriptedGiftModel;
  let marketplaces: MarketplaceFakes;
  let server: TestServer;
  let owner: string;
  let stranger: string;
  let devKey: string;
  let chatOnly: string;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    model = scriptedGiftModel();
    upstream = await startFakeOpenAI({ reply: (body) => model.reply(body) });
    marketplaces = await startMarketplaceFakes();
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'gift-model', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
        marketplaces: marketplaces.config,
        giftFinder: {
          model: 'gift-model',
          maxQuestions: 3,
          prices: [{ model: 'gift-model', promptPerMillion: 1_000, completionPerMillion: 2_000 }],
          fetch: { ebay: { productsPerIdea: 3 }, allegro: { productsPerIdea: 2 } },
          maxRetryAfterSeconds: 60,
        },
      },
      eventRetryPolicy: { maxAttempts: 5, initialDelayMs: 20, factor: 2 },
      giftClock: () => new Date(Date.now() + clockOffsetMs),
    });
    owner = await server.createKey('prod', { name: 'gift owner', scopes: ['apps'] });
    stranger = await server.createKey('prod', { name: 'gift stranger', scopes: ['apps'] });
    devKey = await server.createKey('dev', { name: 'gift dev', scopes: ['apps'] });
    chatOnly = await server.createKey('prod', { name: 'chat only', scopes: ['chat'] });
  }, 60_000);

  afterAll(async () => {
    await server?.destroy();
    await upstream?.close();
    await marketplaces?.close();
  });

  const call = (key: string, method: string, path: string, body?: unknown) =>
    keyRequest(server.url, key, method, path, body);

  async function session(id: string, key = owner) {
    const response = await call(key, 'GET', `${base}/${id}`);
    expect(response.status).toBe(200);
    return (await readJson(response)).session;
  }

  /** Answers each question until the interview is over; returns the session once it is no longer interviewing. */
  async function interview(id: string, answers: string[]) {
    for (const answer of answers) {
      await eventually(async () => expect((await session(id)).awaiting_answer).toBe(true));
      const response = await call(owner, 'POST', `${base}/${id}/answers`, { text: answer });
      expect(response.status).toBe(202);
    }
  }

  async function finished(id: string) {
    return eventually(
      async () => {
        const current = await session(id);
        expect(['ready', 'refused', 'failed']).toContain(current.status);
        return current;
      },
      { safetyMs: 30_000 },
    );
  }

  it('interviews, analyses the profile, finds ideas, searches four marketplaces and ranks the products', async () => {
    const created = await call(owner, 'POST', base, {
      recipient: 'my sister Ana',
      profile: { text: 'Ana plays chess online every evening and loves espresso.', consent: true },
      currency: 'EUR',
    });
    expect(created.status).toBe(201);
    const { session: fresh } = await readJson(created);
    expect(fresh).toMatchObject({ status: 'interviewing', recipient: 'my sister Ana', currency: 'EUR' });
    expect(fresh.profile.status).toBe('pending');
    const id = fresh.id as string;

    await interview(id, ['She is my sister, 30, loves chess', 'Her birthday, up to 60 EUR']);
    const done = await finished(id);
    expect(done.status).toBe('ready');
    expect(done.messages.map((message: { role: string }) => message.role)).toEqual([
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(done.summary).toMatchObject({ relation: 'sister', age: '30', interests: ['chess', 'coffee'] });
    expect(done.profile).toMatchObject({ status: 'completed', interests: ['chess', 'espresso'] });
    expect(done.ideas.map((idea: { query: string }) => idea.query)).toEqual(['chess set', 'chess clock']);
    expect(
      done.marketplaces.map((entry: { marketplace: string; status: string }) => [entry.marketplace, entry.status]),
    ).toEqual([
      ['allegro', 'completed'],
      ['amazon', 'completed'],
      ['ebay', 'completed'],
      ['olx', 'completed'],
    ]);
    expect(done.products.length).toBeGreaterThan(4);
    expect(new Set(done.products.map((product: { marketplace: string }) => product.marketplace)).size).toBe(4);
    // Per-marketplace limits: eBay at most 3 products per idea, Allegro 2.
    for (const [marketplace, limit] of [
      ['ebay', 3],
      ['allegro', 2],
    ] as const) {
      for (const idea of done.ideas) {
        const count = done.products.filter(
          (product: { marketplace: string; idea_id: string }) =>
            product.marketplace === marketplace && product.idea_id === idea.id,
        ).length;
        expect(count).toBeLessThanOrEqual(limit);
      }
    }
    expect(done.ranking.length).toBeGreaterThan(0);
    const ranked = done.ranking.map((entry: { product_id: string }) => entry.product_id);
    expect(new Set(ranked).size).toBe(ranked.length);
    for (const productId of ranked)
      expect(done.products.some((product: { id: string }) => product.id === productId)).toBe(true);
    // The model's scores lead: a wooden set first.
    const first = done.products.find((product: { id: string }) => product.id === ranked[0]);
    expect(first.title).toMatch(/wooden/i);
    expect(done.stages.map((stage: { stage: string; status: string }) => [stage.stage, stage.status])).toEqual([
      ['interview', 'completed'],
      ['profile', 'completed'],
      ['ideas', 'completed'],
      ['fetch', 'completed'],
      ['rerank', 'completed'],
    ]);
    expect(done.usage.prompt_tokens).toBeGreaterThan(0);
    expect(done.usage.completion_tokens).toBeGreaterThan(0);
    expect(done.usage.cost).toBeGreaterThan(0);

    // The stream replays everything, ends with done, and resumes after any id it sent.
    const stream = await call(owner, 'GET', `${base}/${id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const messages = await readSse(stream);
    const names = messages.map((message) => message.event);
    expect(names.filter((name) => name === 'question')).toHaveLength(2);
    expect(names.filter((name) => name === 'answer')).toHaveLength(2);
    expect(names).toContain('stage');
    expect(names).toContain('products');
    expect(names.slice(-2)).toEqual(['ranking', 'done']);
    // Every stage has its outcome before the ranking: a page that shows the session as ready shows no stage running.
    const stagesBeforeRanking = messages
      .slice(0, names.indexOf('ranking'))
      .filter((message) => message.event === 'stage')
      .map((message) => message.data as { stage: string; status: string });
    for (const stage of ['interview', 'ideas', 'fetch', 'rerank']) {
      expect(stagesBeforeRanking.filter((entry) => entry.stage === stage).at(-1)?.status, stage).toBe('completed');
    }
    expect(messages.at(-1)?.data).toEqual({ status: 'ready' });
    expect(messages.every((message) => message.id !== undefined)).toBe(true);
    const middle = messages[Math.floor(messages.length / 2)];
    const resumed = await readSse(
      await fetch(`${server.url}${base}/${id}/events`, {
        headers: { authorization: `Bearer ${owner}`, 'last-event-id': middle?.id ?? '' },
      }),
    );
    expect(resumed.map((message) => message.id)).toEqual(
      messages.slice(Math.floor(messages.length / 2) + 1).map((message) => message.id),
    );
    const afterDone = await fetch(`${server.url}${base}/${id}/events`, {
      headers: { authorization: `Bearer ${owner}`, 'last-event-id': messages.at(-1)?.id ?? '' },
    });
    expect(await readSse(afterDone)).toEqual([]);

    const list = await readJson(await call(owner, 'GET', base));
    expect(list.data[0]).toMatchObject({ id, status: 'ready', recipient: 'my sister Ana' });
  }, 60_000);

  it('the events its services publish carry the X-Request-Id of the request that led to them', async () => {
    const seen: Array<{ flowId: string | null; name: string; requestId: string | undefined }> = [];
    await server.parts.events.subscribe('gift-request-id-test', ['ChatQuestionAsked', 'FlowStageChanged'], (event) => {
      seen.push({ flowId: event.flowId, name: event.name, requestId: event.trace?.requestId });
    });
    const post = (path: string, body: unknown, requestId: string) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify(body),
      });
    const created = await post(base, { recipient: 'my brother' }, 'gift-req-start');
    expect(created.status).toBe(201);
    const id = (await readJson(created)).session.id as string;
    const questions = () => seen.filter((entry) => entry.flowId === id && entry.name === 'ChatQuestionAsked');
    // The interview service's handler asks the first question for the event the start request published.
    await eventually(() => expect(questions()).toHaveLength(1));
    expect(seen.find((entry) => entry.flowId === id && entry.name === 'FlowStageChanged')?.requestId).toBe(
      'gift-req-start',
    );
    expect(questions()[0]?.requestId).toBe('gift-req-start');
    await eventually(async () => expect((await session(id)).awaiting_answer).toBe(true));
    expect((await post(`${base}/${id}/answers`, { text: 'He is 40, likes hiking' }, 'gift-req-answer')).status).toBe(
      202,
    );
    // The next question comes from the answer's request.
    await eventually(() =>
      expect(questions().map((entry) => entry.requestId)).toEqual(['gift-req-start', 'gift-req-answer']),
    );
  });

  it('answers 404 for another caller’s session, in another environment, and 401/403 without the apps scope', async () => {
    const { session: created } = await readJson(await call(owner, 'POST', base, {}));
    for (const key of [stranger, devKey]) {
      for (const [method, path, body] of [
        ['GET', `${base}/${created.id}`, undefined],
        ['POST', `${base}/${created.id}/answers`, { text: 'hello' }],
        ['GET', `${base}/${created.id}/events`, undefined],
      ] as const) {
        const response = await call(key, method, path, body);
        expect(response.status).toBe(404);
        expect((await readJson(response)).error.code).toBe('SY_ERR_GIFT_SESSION_NOT_FOUND');
      }
      const list = await readJson(await call(key, 'GET', base));
      expect(list.data.some((entry: { id: string }) => entry.id === created.id)).toBe(false);
    }
    expect((await call(chatOnly, 'GET', base)).status).toBe(403);
    expect((await fetch(`${server.url}${base}`)).status).toBe(401);
  });

  it('a dev session commits its events to the dev database’s outbox, and the relay publishes them from there', async () => {
    const relayed: Array<[string, string]> = [];
    const stop = server.parts.events.onActivity((activity) => {
      if (activity.type === 'relayed') relayed.push([activity.event.id, activity.event.environment]);
    });
    try {
      const devCall = (method: string, path: string, body?: unknown) => call(devKey, method, path, body);
      const created = await devCall('POST', base, { recipient: 'dev tester' });
      expect(created.status).toBe(201);
      const id = (await readJson(created)).session.id as string;
      await eventually(async () => {
        const response = await devCall('GET', `${base}/${id}`);
        expect((await readJson(response)).session.awaiting_answer).toBe(true);
      });
      expect((await devCall('POST', `${base}/${id}/answers`, { text: 'my colleague' })).status).toBe(202);
      await eventually(async () => expect(relayed).toContainEqual([`${id}-answer-1`, 'dev']));
      expect(relayed).toContainEqual([`${id}-start`, 'dev']);
      // Relayed rows are gone from dev's outbox; prod's never held them.
      const left = await server.parts.databases.dev.db.execute(
        sql`SELECT id FROM event_outbox WHERE id LIKE ${`${id}%`}`,
      );
      expect(left.rows).toEqual([]);
    } finally {
      stop();
    }
  });

  it('refuses a profile without consent (400) and an answer when none is awaited (409)', async () => {
    const refused = await call(owner, 'POST', base, { profile: { text: 'about her', consent: false } });
    expect(refused.status).toBe(400);
    expect((await readJson(refused)).error.code).toBe('SY_ERR_GIFT_PROFILE_CONSENT_REQUIRED');
    const badLink = await call(owner, 'POST', base, { profile: { links: ['file:///etc/passwd'], consent: true } });
    expect(badLink.status).toBe(400);

    const { session: created } = await readJson(await call(owner, 'POST', base, {}));
    await eventually(async () => expect((await session(created.id)).awaiting_answer).toBe(true));
    expect((await call(owner, 'POST', `${base}/${created.id}/answers`, { text: 'first' })).status).toBe(202);
    const again = await call(owner, 'POST', `${base}/${created.id}/answers`, { text: 'too soon' });
    // Either the next question is not there yet (409), or it is and this answers it.
    if (again.status === 409) expect((await readJson(again)).error.code).toBe('SY_ERR_GIFT_SESSION_STATE');
    else expect(again.status).toBe(202);
    // Let this session's model work finish (the next question, or the whole search when 'too soon' was
    // taken) before the next test counts the model's interview calls: CI saw one call too many there.
    await eventually(
      async () => {
        const current = await session(created.id);
        expect(current.awaiting_answer === true || ['ready', 'refused', 'failed'].includes(current.status)).toBe(true);
      },
      { safetyMs: 30_000 },
    );
  });

  it('repairs or retries malformed model output instead of failing, and fails the session cleanly when it never gets better', async () => {
    model.malformed.push('interview', 'ideas');
    const callsBefore = model.calls.interview ?? 0;
    const { session: created } = await readJson(await call(owner, 'POST', base, {}));
    await interview(created.id, ['chess', 'birthday, 50 EUR']);
    expect((await finished(created.id)).status).toBe('ready');
    // The broken answer was asked again once: 3 interview turns + 1 retry.
    expect((model.calls.interview ?? 0) - callsBefore).toBe(4);

    model.alwaysMalformed.add('interview');
    try {
      const { session: broken } = await readJson(await call(owner, 'POST', base, {}));
      const failed = await finished(broken.id);
      expect(failed.status).toBe('failed');
      expect(failed.stages[0]).toMatchObject({ stage: 'interview', status: 'failed' });
      expect(failed.stages[0].message).toMatch(/did not answer with the JSON asked for/);
      const stream = await readSse(await call(owner, 'GET', `${base}/${broken.id}/events`));
      expect(stream.at(-1)).toMatchObject({ event: 'done', data: { status: 'failed' } });
    } finally {
      model.alwaysMalformed.delete('interview');
    }
  }, 60_000);

  it('refuses an inappropriate request: refused, then done', async () => {
    const { session: created } = await readJson(await call(owner, 'POST', base, { recipient: 'my neighbour' }));
    await interview(created.id, ['I want a weapon to scare him']);
    const refused = await finished(created.id);
    expect(refused.status).toBe('refused');
    expect(refused.messages.at(-1)).toMatchObject({ role: 'assistant', text: 'I cannot help find weapons.' });
    const stream = await readSse(await call(owner, 'GET', `${base}/${created.id}/events`));
    expect(stream.slice(-2).map((message) => message.event)).toEqual(['refused', 'done']);
    expect(stream.at(-1)?.data).toEqual({ status: 'refused' });
  });

  it('a replayed ProductsFetched event adds no second copy of any product', async () => {
    const { events } = server.parts;
    const { session: created } = await readJson(await call(owner, 'POST', base, {}));
    const captured: unknown[] = [];
    const stop = events.onActivity((activity) => {
      if (
        activity.type === 'handled' &&
        activity.group === 'gift-sessions' &&
        activity.event.name === 'ProductsFetched'
      ) {
        if (activity.event.flowId === created.id) captured.push(activity.event);
      }
    });
    try {
      await interview(created.id, ['chess', 'birthday']);
      const ready = await finished(created.id);
      const count = ready.products.length;
      expect(captured.length).toBe(4);
      const original = captured[0] as { id: string; payload: { sessionId: string } };
      const projected = new Promise<void>((resolve) => {
        const unsubscribe = events.onActivity((activity) => {
          if (
            activity.type === 'handled' &&
            activity.group === 'gift-sessions' &&
            activity.event.id === `${original.id}-replay`
          ) {
            unsubscribe();
            resolve();
          }
        });
      });
      // The same content under a new id (as a dead letter replayed by hand, or a second publisher, would be).
      await events.publish('ProductsFetched', original.payload as never, {
        environment: 'prod',
        flowId: created.id,
        id: `${original.id}-replay`,
      });
      await projected;
      expect((await session(created.id)).products.length).toBe(count);
    } finally {
      stop();
    }
  }, 60_000);

  it('honours a marketplace’s 429 (no request before Retry-After), and one marketplace down leaves the others', async () => {
    const { events } = server.parts;
    marketplaces.ebay.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });
    marketplaces.allegro.setBehaviour({ kind: 'error', status: 500 });
    let ebayRequestsAtFirstWait = -1;
    let ebayRequestsAtSecondWait = -1;
    const stop = events.onActivity((activity) => {
      if (activity.type !== 'retrying' || activity.group !== 'gift-fetch-ebay') return;
      if (ebayRequestsAtFirstWait === -1) {
        ebayRequestsAtFirstWait = marketplaces.ebay.requests.length;
        return;
      }
      if (ebayRequestsAtSecondWait === -1) {
        // The redelivery before Retry-After passed asked eBay nothing; now 30 s "pass" and eBay recovers.
        ebayRequestsAtSecondWait = marketplaces.ebay.requests.length;
        marketplaces.ebay.setBehaviour({ kind: 'ok' });
        clockOffsetMs += 31_000;
      }
    });
    try {
      const { session: created } = await readJson(await call(owner, 'POST', base, {}));
      await interview(created.id, ['chess', 'birthday']);
      const ready = await finished(created.id);
      expect(ready.status).toBe('ready');
      expect(ebayRequestsAtSecondWait).toBe(ebayRequestsAtFirstWait);
      const status = Object.fromEntries(
        ready.marketplaces.map((entry: { marketplace: string; status: string }) => [entry.marketplace, entry.status]),
      );
      expect(status).toEqual({ allegro: 'failed', amazon: 'completed', ebay: 'completed', olx: 'completed' });
      expect(
        ready.marketplaces.find((entry: { marketplace: string }) => entry.marketplace === 'allegro').message,
      ).toMatch(/allegro/i);
      expect(ready.products.some((product: { marketplace: string }) => product.marketplace === 'ebay')).toBe(true);
      expect(ready.products.some((product: { marketplace: string }) => product.marketplace === 'allegro')).toBe(false);

      // A Retry-After longer than giftFinder.maxRetryAfterSeconds: reported rate_limited at once.
      marketplaces.ebay.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '3600' } });
      const { session: limited } = await readJson(await call(owner, 'POST', base, {}));
      await interview(limited.id, ['chess', 'birthday']);
      const limitedReady = await finished(limited.id);
      const ebay = limitedReady.marketplaces.find((entry: { marketplace: string }) => entry.marketplace === 'ebay');
      expect(ebay).toMatchObject({ status: 'rate_limited', count: 0 });
      expect(limitedReady.status).toBe('ready');
    } finally {
      stop();
      marketplaces.ebay.setBehaviour({ kind: 'ok' });
      marketplaces.allegro.setBehaviour({ kind: 'ok' });
    }
  }, 60_000);
});
