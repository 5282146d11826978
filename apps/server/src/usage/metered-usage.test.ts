import { createPriceTable } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { BudgetTicket } from '../plans/budget-enforcer';
import { type MeteredCall, recordMeteredUsage } from './metered-usage';
import type { UsageRow } from './usage-writer';

const call: MeteredCall = {
  environment: 'prod',
  apiKeyId: 'key-1',
  userId: 'user-1',
  projectId: null,
  clientIp: '127.0.0.1',
  method: 'POST',
  route: '/v1/chat/completions',
  status: 200,
  latencyMs: 12.5,
  used: { model: 'priced', promptTokens: 1000, completionTokens: 500, cachedTokens: 200 },
  ticket: null,
};

const ticket = { reservationId: 'reservation-1' } as BudgetTicket;

function metering(withPlans: boolean) {
  const rows: UsageRow[] = [];
  const settled: Array<{ ticket: BudgetTicket; usage: { tokens: number; costUsd: number } }> = [];
  return {
    rows,
    settled,
    metering: {
      usage: { record: (row: UsageRow) => void rows.push(row) },
      plans: withPlans
        ? {
            prices: createPriceTable({
              priced: { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 10 },
            }),
            budgets: {
              settle: async (settledTicket: BudgetTicket, usage: { tokens: number; costUsd: number }) =>
                void settled.push({ ticket: settledTicket, usage }),
            },
          }
        : null,
    },
  };
}

describe('recordMeteredUsage', () => {
  it('queues one row with every field of the call and its price, and settles the ticket at that price', async () => {
    const { rows, settled, metering: target } = metering(true);
    await recordMeteredUsage(target, { ...call, ticket });
    // 800 uncached × 2 + 200 cached × 1 + 500 × 10, per million tokens.
    const costUsd = (800 * 2 + 200 * 1 + 500 * 10) / 1_000_000;
    expect(rows).toEqual([
      {
        environment: 'prod',
        apiKeyId: 'key-1',
        clientIp: '127.0.0.1',
        method: 'POST',
        route: '/v1/chat/completions',
        model: 'priced',
        status: 200,
        latencyMs: 12.5,
        promptTokens: 1000,
        completionTokens: 500,
        audioSeconds: null,
        userId: 'user-1',
        projectId: null,
        subject: null,
        costUsd,
        createdAt: expect.any(Date),
      },
    ]);
    expect(settled).toEqual([{ ticket, usage: { tokens: 1500, costUsd } }]);
  });

  it('records a call that used nothing at no cost, with its subject, and settles its ticket at 0', async () => {
    const { rows, settled, metering: target } = metering(true);
    await recordMeteredUsage(target, { ...call, apiKeyId: null, subject: 'whatsapp:+15550100', used: null, ticket });
    expect(rows[0]).toMatchObject({ apiKeyId: null, subject: 'whatsapp:+15550100', model: null, costUsd: 0 });
    expect(rows[0]).toMatchObject({ promptTokens: null, completionTokens: null });
    expect(settled).toEqual([{ ticket, usage: { tokens: 0, costUsd: 0 } }]);
  });

  it('without plans the row costs 0 and there is nothing to settle', async () => {
    const { rows, metering: target } = metering(false);
    await expect(recordMeteredUsage(target, { ...call, ticket })).resolves.toBeUndefined();
    expect(rows[0]).toMatchObject({ model: 'priced', promptTokens: 1000, costUsd: 0 });
  });
});
