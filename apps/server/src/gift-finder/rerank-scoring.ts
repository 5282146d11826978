import type { Idea, Product, Summary } from './gift-events';

export interface RankedProduct {
  product: Product;
  score: number;
  reason: string;
}

const words = (text: string) =>
  new Set(
    text
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word.length > 2),
  );

/** Two listings are the same product when their links or their normalised titles match. */
export function dedupeKey(product: Product): string[] {
  const url = product.url
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  const title = product.title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return [`url:${url}`, `title:${title}`];
}

/** Keeps the first of each product (callers sort the better ones first). */
export function removeDuplicates(products: readonly Product[]): Product[] {
  const seen = new Set<string>();
  const kept: Product[] = [];
  for (const product of products) {
    const keys = dedupeKey(product);
    if (keys.some((key) => seen.has(key))) continue;
    for (const key of keys) seen.add(key);
    kept.push(product);
  }
  return kept;
}

/**
 * A score in 0..1 without a model: how many of the person's interests and the idea's words the
 * title shares, whether the price is within budget (when in the budget's currency), and the rating.
 */
export function heuristicScore(
  product: Product,
  idea: Idea | undefined,
  summary: Summary | null,
  interests: readonly string[],
) {
  const title = words(product.title);
  const wanted = words([...interests, ...(summary?.interests ?? []), idea?.query ?? '', idea?.title ?? ''].join(' '));
  let overlap = 0;
  for (const word of wanted) if (title.has(word)) overlap += 1;
  const relevance = wanted.size === 0 ? 0.5 : Math.min(1, overlap / Math.min(3, wanted.size));
  const disliked = words((summary?.dislikes ?? []).join(' '));
  const dislike = [...disliked].some((word) => title.has(word)) ? 0.5 : 0;
  let budgetFit = 0.5;
  const budget = summary?.budget;
  if (budget && budget.currency === product.currency)
    budgetFit = product.price >= budget.min && product.price <= budget.max ? 1 : 0;
  const rating = product.rating === null ? 0.5 : product.rating / 5;
  const score = 0.55 * relevance + 0.3 * budgetFit + 0.15 * rating - dislike;
  const reasons = [
    overlap > 0 ? 'matches the interests' : null,
    budgetFit === 1 ? 'within budget' : budgetFit === 0 ? 'outside the budget' : null,
    product.rating !== null ? `rated ${product.rating}/5` : null,
  ].filter(Boolean);
  return { score: Math.max(0, Math.min(1, score)), reason: reasons.join(', ') || 'related to the idea' };
}

/**
 * Picks the best first, then each next by its score less a penalty for every product already picked
 * for the same idea and from the same marketplace, so the list spans ideas and marketplaces.
 */
export function diversify(candidates: readonly RankedProduct[], limit: number): RankedProduct[] {
  const remaining = [...candidates];
  const picked: RankedProduct[] = [];
  const perIdea = new Map<string, number>();
  const perMarketplace = new Map<string, number>();
  while (remaining.length > 0 && picked.length < limit) {
    let bestIndex = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const [index, candidate] of remaining.entries()) {
      const value =
        candidate.score -
        0.12 * (perIdea.get(candidate.product.ideaId) ?? 0) -
        0.05 * (perMarketplace.get(candidate.product.marketplace) ?? 0);
      if (value > bestValue) {
        bestValue = value;
        bestIndex = index;
      }
    }
    const [chosen] = remaining.splice(bestIndex, 1);
    if (!chosen) break;
    picked.push(chosen);
    perIdea.set(chosen.product.ideaId, (perIdea.get(chosen.product.ideaId) ?? 0) + 1);
    perMarketplace.set(chosen.product.marketplace, (perMarketplace.get(chosen.product.marketplace) ?? 0) + 1);
  }
  return picked;
}
