import { createGiftInterviewRepository, giftRoleOf, withGiftServiceRole } from '@switchyard/db';
import { platformEvents } from '@switchyard/events';
import {
  amqpAvailable,
  createServerModeEnvironment,
  deleteAmqpTopology,
  eventually,
  type FakeOpenAIServer,
  type ServerModeEnvironment,
  serverModeAvailable,
  startFakeOpenAI,
  testAmqpUrl,
  uniqueAmqpPrefix,
} from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowLogGroup } from '../events/flows';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { marketplaceGroup } from './fetch-service';
import { type MarketplaceFakes, readSse, scriptedGiftModel, startMarketplaceFakes } from './gift-finder-testing';

const serverMode = await serverModeAvailable('gift finder in server mode');
const hasAmqp = await amqpAvailable();
if (!hasAmqp) console.warn('[skip] gift finder in server mode: no RabbitMQ (set TEST_AMQP_URL)');

const base = '/v1/apps/gift-finder/sessions';
const groups = [
  flowLogGroup,
  'gift-sessions',
  'gift-interview',
  'gift-profile',
  'gift-ideas',
  'gift-fetch',
  'gift-rerank',
  ...['ebay', 'allegro', 'amazon', 'olx'].map(marketplaceGroup),
];

describe.skipIf(!serverMode || !hasAmqp)(
  'gift finder in server mode (PostgreSQL, RabbitMQ, two workers, service roles)',
  () => {
    let environment: ServerModeEnvironment;
    let upstream: FakeOpenAIServer;
    let marketplaces: MarketplaceFakes;
    let api: TestServer;
    let conversation: TestServer;
    let shopping: TestServer;
    let eventsPrefix = '';

    beforeAll(async () => {
      environment = await createServerModeEnvironment();
      const model = scriptedGiftModel();
      upstream = await startFakeOpenAI({ reply: (body) => model.reply(body) });
      marketplaces = await startMarketplaceFakes();
      const config = {
        ollama: { autodetect: false },
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'gift-model', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
        marketplaces: marketplaces.config,
        giftFinder: { model: 'gift-model', serviceRoles: true },
      };
      const variables = { ...environment.variables, EVENTS_URL: testAmqpUrl() };
      eventsPrefix = uniqueAmqpPrefix();
      const common = { config, variables, eventsPrefix, eventRetryPolicy: { maxAttempts: 4, initialDelayMs: 20 } };
      // Two worker processes' worth of services, split as `switchyard worker --services` would.
      conversation = await startTestServer({
        ...common,
        role: 'worker',
        giftServices: ['interview', 'profile', 'ideas'],
      });
      shopping = await startTestServer({ ...common, role: 'worker', giftServices: ['fetch', 'rerank'] });
      api = await startTestServer({ ...common, role: 'api' });
    }, 120_000);

    afterAll(async () => {
      await api?.destroy();
      await conversation?.destroy();
      await shopping?.destroy();
      await environment?.drop();
      await upstream?.close();
      await marketplaces?.close();
      await deleteAmqpTopology(testAmqpUrl(), {
        queues: [
          `${eventsPrefix}switchyard.dead-letters`,
          ...Object.keys(platformEvents).flatMap((name) => groups.map((group) => `${eventsPrefix}${name}.${group}`)),
        ],
        exchanges: [`${eventsPrefix}switchyard.events`, `${eventsPrefix}switchyard.events.dead-letter`],
      });
    });

    it('runs a whole session through the API process and two workers, in the dev environment', async () => {
      expect(api.parts.events.backend).toBe('rabbitmq');
      const key = await api.createKey('dev', { name: 'gift dev', scopes: ['apps'] });
      const other = await api.createKey('dev', { name: 'other', scopes: ['apps'] });
      const call = (method: string, path: string, body?: unknown) => keyRequest(api.url, key, method, path, body);
      const created = await call('POST', base, {
        recipient: 'Ana',
        profile: { text: 'Ana plays chess', consent: true },
      });
      expect(created.status).toBe(201);
      const id = (await readJson(created)).session.id as string;
      const view = async () => (await readJson(await call('GET', `${base}/${id}`))).session;
      for (const answer of ['sister, 30, chess', 'birthday, 60 EUR']) {
        await eventually(async () => expect((await view()).awaiting_answer).toBe(true), { safetyMs: 20_000 });
        expect((await call('POST', `${base}/${id}/answers`, { text: answer })).status).toBe(202);
      }
      const ready = await eventually(
        async () => {
          const current = await view();
          expect(current.status).toBe('ready');
          return current;
        },
        { safetyMs: 30_000 },
      );
      expect(ready.marketplaces.every((entry: { status: string }) => entry.status === 'completed')).toBe(true);
      expect(ready.ranking.length).toBeGreaterThan(0);
      expect(ready.profile.status).toBe('completed');
      const stream = await readSse(await call('GET', `${base}/${id}/events`));
      expect(stream.at(-1)).toMatchObject({ event: 'done', data: { status: 'ready' } });
      expect((await keyRequest(api.url, other, 'GET', `${base}/${id}`)).status).toBe(404);

      // The rows are in dev's database, in the interview service's own schema.
      const rows = await withGiftServiceRole(api.parts.databases.dev.db, 'interview', true, (db) =>
        createGiftInterviewRepository(db).messages(id),
      );
      expect(rows.length).toBe(4);
    }, 90_000);

    it('gives each service a role with rights on its own schema only', async () => {
      const db = api.parts.databases.prod.db;
      const refused = await withGiftServiceRole(db, 'interview', true, (transaction) =>
        transaction.execute(sql`select 1 from gift_ideas.requests`),
      ).then(
        () => 'allowed',
        (error: Error & { cause?: Error }) => error.cause?.message ?? error.message,
      );
      expect(refused).toMatch(/permission denied/);
      await expect(
        withGiftServiceRole(db, 'ideas', true, (transaction) =>
          transaction.execute(sql`select count(*) from gift_ideas.requests`),
        ),
      ).resolves.toBeDefined();
      const roles = await db.execute(sql`select rolname from pg_roles where rolname like 'switchyard_gift_%'`);
      expect(roles.rows.map((row) => row.rolname)).toEqual(
        expect.arrayContaining([giftRoleOf('interview'), giftRoleOf('rerank')]),
      );
    });
  },
);
