import { describe, expect, it } from 'vitest';
import { createLogger } from '../infrastructure/logger';
import { createMetrics } from '../infrastructure/metrics';
import { createUsageWriter, type UsageRow } from './usage-writer';

const silent = createLogger('silent');

function row(environment: 'prod' | 'dev', index: number): UsageRow {
  return {
    environment,
    apiKeyId: `key-${index}`,
    clientIp: '127.0.0.1',
    method: 'POST',
    route: '/v1/chat',
    model: 'echo',
    status: 200,
    latencyMs: 1,
    promptTokens: 1,
    completionTokens: 1,
    createdAt: new Date(),
  };
}

describe('usage writer', () => {
  it('writes rows in batches, each environment to its own database', async () => {
    const inserted: Record<'prod' | 'dev', UsageRow[][]> = { prod: [], dev: [] };
    const writer = createUsageWriter({
      insert: {
        prod: async (rows) => void inserted.prod.push(rows),
        dev: async (rows) => void inserted.dev.push(rows),
      },
      logger: silent,
      metrics: createMetrics(),
      flushIntervalMs: 60_000,
      batchSize: 50,
    });
    for (let index = 0; index < 1000; index += 1) writer.record(row('prod', index));
    for (let index = 0; index < 10; index += 1) writer.record(row('dev', index));
    await writer.close();
    expect(inserted.prod.flat()).toHaveLength(1000);
    expect(inserted.dev.flat()).toHaveLength(10);
    // At most one insert statement per 50 rows.
    expect(inserted.prod.length).toBeLessThanOrEqual(1000 / 50);
    expect(inserted.prod.flat().every((entry) => entry.environment === 'prod')).toBe(true);
    expect(inserted.dev.flat().every((entry) => entry.environment === 'dev')).toBe(true);
  });

  it('keeps rows when the database fails and writes them once it answers again', async () => {
    let failing = true;
    const written: UsageRow[] = [];
    const metrics = createMetrics();
    const writer = createUsageWriter({
      insert: {
        prod: async (rows) => {
          if (failing) throw new Error('database down');
          written.push(...rows);
        },
        dev: async () => {},
      },
      logger: silent,
      metrics,
      flushIntervalMs: 60_000,
    });
    for (let index = 0; index < 7; index += 1) writer.record(row('prod', index));
    await writer.flush();
    expect(written).toHaveLength(0);
    expect(writer.pending('prod')).toBe(7);
    failing = false;
    await writer.flush();
    expect(written.map((entry) => entry.apiKeyId)).toEqual([
      'key-0',
      'key-1',
      'key-2',
      'key-3',
      'key-4',
      'key-5',
      'key-6',
    ]);
    expect(writer.pending('prod')).toBe(0);
    const failures = await metrics.usageWriteFailures.get();
    expect(failures.values[0]?.value).toBe(1);
    await writer.close();
  });

  it('flushes on its timer without being asked', async () => {
    let wrote: (rows: UsageRow[]) => void = () => {};
    const firstWrite = new Promise<UsageRow[]>((resolve) => {
      wrote = resolve;
    });
    const writer = createUsageWriter({
      insert: { prod: async (rows) => wrote(rows), dev: async () => {} },
      logger: silent,
      metrics: createMetrics(),
      flushIntervalMs: 20,
    });
    writer.record(row('prod', 1));
    // Nothing else flushes: the rows arrive only if the timer writes them.
    expect(await firstWrite).toHaveLength(1);
    await writer.close();
  });
});
