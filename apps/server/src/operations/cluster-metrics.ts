import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/**
 * `switchyard api --workers N`: a scrape of /metrics lands on one worker, which asks the
 * primary; the primary collects every worker's metrics over the cluster IPC channel and merges
 * them with prom-client's aggregators (counters and histograms summed, process gauges as
 * prom-client defines them). The primary loads prom-client only on the first scrape.
 */

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

type ClusterMetricsMessage =
  | { type: 'switchyard:metrics-ready' }
  | { type: 'switchyard:metrics-request'; id: string }
  | { type: 'switchyard:metrics-response'; id: string; text?: string; error?: string }
  | { type: 'switchyard:metrics-collect'; id: string }
  | { type: 'switchyard:metrics-collected'; id: string; metrics?: MetricsJson; error?: string };

const isMessage = (value: unknown): value is ClusterMetricsMessage =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { type?: unknown }).type === 'string' &&
  (value as { type: string }).type.startsWith('switchyard:metrics-');

/**
 * Gauges that every worker reads from the same shared source (the job queue, Redis): summing
 * them would count the same jobs N times. A ratio is averaged.
 */
const sharedGauges: Record<string, 'max' | 'min' | 'average'> = {
  switchyard_jobs: 'max',
  switchyard_job_workers_alive: 'max',
  switchyard_queue_depth: 'max',
  switchyard_cache_hit_ratio: 'average',
  // Every worker pings the same databases and Redis and sees the same disk: 0 if any worker fails.
  switchyard_dependency_up: 'min',
  switchyard_disk_free_bytes: 'min',
  switchyard_disk_size_bytes: 'max',
  switchyard_build_info: 'max',
};

const collectTimeoutMs = 5_000;

/** Primary: answers workers' scrape requests with the whole cluster's metrics. */
export function serveClusterMetrics(): void {
  const pending = new Map<string, { expected: Set<number>; results: MetricsJson[]; done: () => void }>();
  // Only workers that said they can answer: one still starting would hold every scrape until the timeout.
  const ready = new Set<number>();

  async function aggregate(): Promise<string> {
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker?.isConnected() === true && ready.has(worker.id),
    );
    const id = randomUUID();
    const results: MetricsJson[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new Error(`only ${results.length} of ${workers.length} API workers answered within ${collectTimeoutMs} ms`),
        );
      }, collectTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        pending.delete(id);
        resolve();
      };
      pending.set(id, { expected: new Set(workers.map((worker) => worker.id)), results, done });
      for (const worker of workers)
        worker.send({ type: 'switchyard:metrics-collect', id } satisfies ClusterMetricsMessage);
      if (workers.length === 0) done();
    });
    for (const metrics of results) {
      for (const metric of metrics) {
        const aggregator = sharedGauges[metric.name];
        if (aggregator) metric.aggregator = aggregator;
      }
      metrics.push({
        name: 'switchyard_api_worker_up',
        help: 'API worker processes whose metrics this scrape includes',
        type: 'gauge',
        aggregator: 'sum',
        values: [{ value: 1, labels: {} }],
      } as unknown as MetricsJson[number]);
    }
    // prom-client is CommonJS: its exports object is the default export, in the bundle as under tsx.
    const { default: promClient } = await import('prom-client');
    return promClient.AggregatorRegistry.aggregate(results).metrics();
  }

  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === 'switchyard:metrics-ready') {
      ready.add(worker.id);
      return;
    }
    if (message.type === 'switchyard:metrics-collected') {
      const request = pending.get(message.id);
      if (!request?.expected.delete(worker.id)) return;
      if (message.metrics) request.results.push(message.metrics);
      if (request.expected.size === 0) request.done();
      return;
    }
    if (message.type === 'switchyard:metrics-request') {
      aggregate().then(
        (text) => worker.send({ type: 'switchyard:metrics-response', id: message.id, text }),
        (error: unknown) =>
          worker.send({ type: 'switchyard:metrics-response', id: message.id, error: (error as Error).message }),
      );
    }
  });
  // A worker that dies mid-collection must not hold the scrape until the timeout.
  cluster.on('exit', (worker) => {
    ready.delete(worker.id);
    for (const request of pending.values()) {
      if (request.expected.delete(worker.id) && request.expected.size === 0) request.done();
    }
  });
}

/**
 * Worker: hands this process's metrics to the primary when it collects, and makes
 * `registry.metrics()` (what /metrics serves) return the whole cluster's.
 */
export function useClusterMetrics(registry: Registry): void {
  const send = process.send?.bind(process);
  if (!send) return;
  const waiting = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === 'switchyard:metrics-collect') {
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: 'switchyard:metrics-collected', id: message.id, metrics }),
        (error: unknown) =>
          send({ type: 'switchyard:metrics-collected', id: message.id, error: (error as Error).message }),
      );
      return;
    }
    if (message.type === 'switchyard:metrics-response') {
      const request = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) request?.resolve(message.text);
      else request?.reject(new Error(`cluster metrics failed: ${message.error ?? 'no answer'}`));
    }
  });
  registry.metrics = () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the cluster primary did not answer the metrics request'));
      }, collectTimeoutMs * 2);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      send({ type: 'switchyard:metrics-request', id } satisfies ClusterMetricsMessage);
    });
  send({ type: 'switchyard:metrics-ready' } satisfies ClusterMetricsMessage);
}
