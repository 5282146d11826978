/**
 * One process of the cross-process budget race (budget-race.test.ts): a budget enforcer on Redis that fires
 * `workers` requests at a time at one shared budget until it is refused, and prints what it spent.
 * Arguments: redis URL, key prefix, process id, token budget, tokens per request, workers.
 */
import { systemQuotaClock } from '@switchyard/core';
import { createRedisBudgetMeter } from '@switchyard/redis';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createBudgetEnforcer } from './budget-enforcer';
import { builtinDefaultPlan } from './plan-store';

const [url = '', prefix = '', processId = '', budget = '0', perRequest = '0', workers = '1'] = process.argv.slice(2);
const client = new Redis(url, { maxRetriesPerRequest: 1 });
const enforcer = createBudgetEnforcer({
  meter: createRedisBudgetMeter(client, prefix),
  clock: systemQuotaClock,
  logger: pino({ level: 'silent' }),
  loadSpent: null,
  processId,
  notify: async () => {},
});
const request = {
  plan: { ...builtinDefaultPlan, id: 'race', tokenBudget: Number(budget) },
  budgetSubject: 'user:race',
  environment: 'prod' as const,
  userId: null,
};

let admitted = 0;
let tokens = 0;
async function worker(): Promise<void> {
  for (;;) {
    let ticket: Awaited<ReturnType<typeof enforcer.admit>>;
    try {
      ticket = await enforcer.admit(request);
    } catch (error) {
      if ((error as { code?: string }).code === 'SY_ERR_BUDGET_EXCEEDED') return;
      throw error;
    }
    if (!ticket) throw new Error('a plan with a budget admitted without a reservation');
    admitted += 1;
    // The "upstream call": other requests of this and the other processes run meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    await enforcer.settle(ticket, { tokens: Number(perRequest), costUsd: 0 });
    tokens += Number(perRequest);
  }
}

// Start together: the parent writes a line to stdin when every process is ready.
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  await Promise.all(Array.from({ length: Number(workers) }, () => worker()));
  process.stdout.write(`${JSON.stringify({ processId, admitted, tokens })}\n`);
  client.disconnect();
  process.exit(0);
});
