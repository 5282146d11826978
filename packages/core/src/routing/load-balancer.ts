export type BalanceStrategy = 'weighted' | 'least-busy';

export interface Balanced {
  readonly id: string;
  readonly weight: number;
}

/**
 * The order in which a model's deployments are tried. `weighted` draws
 * without replacement in proportion to weight, so traffic splits by weight and
 * the rest follow as fallbacks; `least-busy` prefers the fewest requests in
 * flight, breaking ties by weight.
 */
export function orderDeployments<T extends Balanced>(
  deployments: readonly T[],
  strategy: BalanceStrategy,
  inFlight: (id: string) => number,
  random: () => number = Math.random,
): T[] {
  if (deployments.length <= 1) return [...deployments];
  if (strategy === 'least-busy') {
    return [...deployments].sort((a, b) => inFlight(a.id) - inFlight(b.id) || b.weight - a.weight);
  }
  const remaining = [...deployments];
  const ordered: T[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, deployment) => sum + Math.max(0, deployment.weight), 0);
    let index = 0;
    if (total > 0) {
      let point = random() * total;
      index = remaining.findIndex((deployment) => {
        point -= Math.max(0, deployment.weight);
        return point < 0;
      });
      if (index < 0) index = remaining.length - 1;
    }
    ordered.push(...remaining.splice(index, 1));
  }
  return ordered;
}

/** Counts requests in flight per deployment, for least-busy balancing. */
export function createInFlightTracker(): { count(id: string): number; start(id: string): () => void } {
  const counts = new Map<string, number>();
  return {
    count: (id) => counts.get(id) ?? 0,
    start(id) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const next = (counts.get(id) ?? 1) - 1;
        if (next <= 0) counts.delete(id);
        else counts.set(id, next);
      };
    },
  };
}
