import type { ModelPrice } from '../config';

/** What a request used, as far as prices care. */
export interface BillableUsage {
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Prompt tokens the upstream served from its prompt cache (part of promptTokens). */
  cachedTokens?: number | null;
  images?: number | null;
  audioSeconds?: number | null;
}

/** Cost per model, from the `prices:` table of the config file; a model without a price costs nothing. */
export interface PriceTable {
  /** US dollars; 0 for a model without a price or a request that used nothing. */
  costOf(usage: BillableUsage): number;
  has(model: string): boolean;
  /** The table as configured, for the admin API and the web app. */
  readonly entries: Readonly<Record<string, ModelPrice>>;
}

const perMillion = 1_000_000;

export function createPriceTable(prices: Readonly<Record<string, ModelPrice>>): PriceTable {
  const table = new Map(Object.entries(prices));
  return {
    entries: prices,
    has: (model) => table.has(model),
    costOf(usage) {
      if (usage.model === null) return 0;
      const price = table.get(usage.model);
      if (!price) return 0;
      const prompt = Math.max(0, usage.promptTokens ?? 0);
      const cached = Math.min(prompt, Math.max(0, usage.cachedTokens ?? 0));
      const input = price.inputPerMillion ?? 0;
      const cost =
        ((prompt - cached) * input +
          cached * (price.cachedInputPerMillion ?? input) +
          Math.max(0, usage.completionTokens ?? 0) * (price.outputPerMillion ?? 0)) /
          perMillion +
        Math.max(0, usage.images ?? 0) * (price.perImage ?? 0) +
        (Math.max(0, usage.audioSeconds ?? 0) / 60) * (price.perAudioMinute ?? 0);
      // Rounded to a billionth of a dollar, the unit budget counters count in.
      return Math.round(cost * 1e9) / 1e9;
    },
  };
}

/** Dollars as the whole nano-dollars budget counters hold (integers, so Redis can add them atomically). */
export const toNanoDollars = (dollars: number): number => Math.round(dollars * 1e9);
export const fromNanoDollars = (nano: number): number => nano / 1e9;
