import type { PriceTable } from '@switchyard/core';
import type { UsageInfo } from '../edge/principal';
import type { BudgetEnforcer, BudgetTicket } from '../plans/budget-enforcer';
import type { UsageRow, UsageWriter } from './usage-writer';

/** Where a metered call's row goes, and the prices and budgets it counts against (none: it costs 0). */
export interface UsageMetering {
  readonly usage: Pick<UsageWriter, 'record'>;
  readonly plans?: { readonly prices: PriceTable; readonly budgets: Pick<BudgetEnforcer, 'settle'> } | null;
}

export interface MeteredCall
  extends Omit<UsageRow, 'costUsd' | 'model' | 'promptTokens' | 'completionTokens' | 'audioSeconds' | 'createdAt'> {
  /** What the call used; null when it used nothing countable (refused before any model was named). */
  readonly used: UsageInfo | null;
  /** The budget reservation the call was admitted with; settled here, once. */
  readonly ticket: BudgetTicket | null;
}

/**
 * One usage row for a finished call, priced by the price table, with its budget reservation settled
 * at that price: an HTTP request (edge/hooks.ts) and a call made outside one (a WhatsApp voice note)
 * are counted alike. The row is queued at once; the returned promise is the budget's settlement.
 */
export function recordMeteredUsage(metering: UsageMetering, call: MeteredCall): Promise<void> {
  const { used, ticket, ...row } = call;
  const costUsd = metering.plans
    ? metering.plans.prices.costOf({
        model: used?.model ?? null,
        promptTokens: used?.promptTokens ?? null,
        completionTokens: used?.completionTokens ?? null,
        cachedTokens: used?.cachedTokens ?? null,
        images: used?.images ?? null,
        audioSeconds: used?.audioSeconds ?? null,
      })
    : 0;
  metering.usage.record({
    ...row,
    costUsd,
    model: used?.model ?? null,
    promptTokens: used?.promptTokens ?? null,
    completionTokens: used?.completionTokens ?? null,
    audioSeconds: used?.audioSeconds ?? null,
    createdAt: new Date(),
  });
  if (!ticket || !metering.plans) return Promise.resolve();
  return metering.plans.budgets.settle(ticket, {
    tokens: (used?.promptTokens ?? 0) + (used?.completionTokens ?? 0),
    costUsd,
  });
}
