import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import type { UsageLogInsert } from './schema';
import { describeOnEachDatabase } from './test-databases';
import type { UsageDashboardQuery } from './usage-dashboard';
import { createUsageRepository, type UsageRepository } from './usage-repository';

const at = (time: string) => new Date(`2025-06-01T${time}Z`);

const row = (createdAt: Date, fields: Partial<UsageLogInsert> = {}): UsageLogInsert => ({
  environment: 'dev',
  method: 'POST',
  route: '/v1/chat/completions',
  model: 'llama3.2',
  status: 200,
  latencyMs: 100,
  promptTokens: 10,
  completionTokens: 5,
  createdAt,
  ...fields,
});

const query = (fields: Partial<UsageDashboardQuery> = {}): UsageDashboardQuery => ({
  environment: 'dev',
  since: at('00:00:00'),
  bucket: 'hour',
  model: null,
  providerOfModel: [
    { model: 'llama3.2', provider: 'ollama' },
    { model: 'llama', provider: 'ollama' },
    { model: 'gpt-4o', provider: 'openai' },
  ],
  ...fields,
});

const startOf = (bucket: { start: string | Date }) => new Date(bucket.start).toISOString();

describeOnEachDatabase('usage dashboard', (database, backend) => {
  let usage: UsageRepository;

  beforeAll(() => {
    usage = createUsageRepository(database().db);
  });

  beforeEach(async () => {
    await database().db.execute(sql`TRUNCATE api_key_usage_log`);
    await usage.insertMany([
      row(at('10:05:00'), { latencyMs: 100 }),
      row(at('10:55:00'), { latencyMs: 300, status: 429, promptTokens: null, completionTokens: null }),
      row(at('11:10:00'), { model: 'gpt-4o', latencyMs: 200, status: 502, promptTokens: 20, completionTokens: 7 }),
      row(at('11:20:00'), { model: 'llama', latencyMs: 50 }),
      row(at('11:30:00'), { model: null, route: '/v1/models', method: 'GET', latencyMs: 1 }),
      row(at('11:40:00'), { model: 'mystery', latencyMs: 10 }),
      // Outside the window or the environment: never counted.
      row(new Date('2025-05-31T23:59:59Z')),
      row(at('10:30:00'), { environment: 'prod' }),
    ]);
  });

  it('buckets by whole UTC hours, oldest first, with sums, error counts and percentiles', async () => {
    const dashboard = await usage.dashboard(query());
    expect(dashboard.buckets.map(startOf)).toEqual(['2025-06-01T10:00:00.000Z', '2025-06-01T11:00:00.000Z']);
    const [ten, eleven] = dashboard.buckets;
    expect(ten).toMatchObject({ requests: 2, errors: 1, serverErrors: 0, p50: 200 });
    expect(Number(ten?.promptTokens)).toBe(10);
    expect(Number(ten?.completionTokens)).toBe(5);
    expect(eleven).toMatchObject({ requests: 4, errors: 1, serverErrors: 1 });
    expect(dashboard.totals).toMatchObject({ requests: 6, errors: 2, serverErrors: 1 });
    expect(Number(dashboard.totals?.promptTokens)).toBe(10 + 20 + 10 + 10 + 10);
    expect(dashboard.totals?.p99).toBeGreaterThan(dashboard.totals?.p50 ?? Number.POSITIVE_INFINITY);
  });

  // A session setting reaches one connection of a PostgreSQL pool only; PGlite has the one connection.
  it.skipIf(backend === 'postgres')(
    'starts hour buckets on whole UTC hours whatever the session time zone',
    async () => {
      await database().db.execute(sql`set time zone 'Asia/Kolkata'`);
      try {
        const dashboard = await usage.dashboard(query());
        expect(dashboard.buckets.map(startOf)).toEqual(['2025-06-01T10:00:00.000Z', '2025-06-01T11:00:00.000Z']);
      } finally {
        await database().db.execute(sql`set time zone 'UTC'`);
      }
    },
  );

  it('buckets by minute when asked, and honours since', async () => {
    const dashboard = await usage.dashboard(query({ bucket: 'minute', since: at('11:00:00') }));
    expect(dashboard.buckets.map(startOf)).toEqual([
      '2025-06-01T11:10:00.000Z',
      '2025-06-01T11:20:00.000Z',
      '2025-06-01T11:30:00.000Z',
      '2025-06-01T11:40:00.000Z',
    ]);
    expect(dashboard.totals?.requests).toBe(4);
  });

  it('lists every model busiest first, even when narrowed to one model', async () => {
    const dashboard = await usage.dashboard(query({ model: 'gpt-4o' }));
    expect(dashboard.models[0]).toMatchObject({ model: 'llama3.2', requests: 2 });
    expect(dashboard.models.map((entry) => entry.model).sort()).toEqual(
      ['gpt-4o', 'llama', 'llama3.2', 'mystery', null].sort(),
    );
    expect(dashboard.buckets.map(startOf)).toEqual(['2025-06-01T11:00:00.000Z']);
    expect(dashboard.totals).toMatchObject({ requests: 1, serverErrors: 1, p50: 200 });
  });

  it('groups by provider through the model map, leaving unmapped models out', async () => {
    const dashboard = await usage.dashboard(query());
    const byProvider = Object.fromEntries(dashboard.providers.map((entry) => [entry.provider, entry.requests]));
    expect(byProvider).toEqual({ ollama: 3, openai: 1 });
  });

  it('takes the first provider an id maps to, and none without a map', async () => {
    const shadowed = await usage.dashboard(
      query({
        providerOfModel: [
          { model: 'llama3.2', provider: 'first' },
          { model: 'llama3.2', provider: 'second' },
        ],
      }),
    );
    expect(shadowed.providers.map((entry) => [entry.provider, entry.requests])).toEqual([['first', 2]]);
    expect((await usage.dashboard(query({ providerOfModel: [] }))).providers).toEqual([]);
  });

  it('answers an empty window with no buckets and zero totals', async () => {
    const dashboard = await usage.dashboard(query({ since: at('12:00:00') }));
    expect(dashboard.buckets).toEqual([]);
    expect(dashboard.models).toEqual([]);
    expect(dashboard.providers).toEqual([]);
    expect(dashboard.totals).toMatchObject({ requests: 0, errors: 0, p50: null });
    expect(Number(dashboard.totals?.promptTokens)).toBe(0);
  });
});
