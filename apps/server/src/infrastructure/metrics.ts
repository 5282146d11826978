import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'environment' | 'route' | 'method' | 'status' | 'model'>;
  readonly httpDuration: Histogram<'environment' | 'route' | 'model'>;
  readonly upstreamDuration: Histogram<'provider' | 'model' | 'outcome'>;
  readonly tokens: Counter<'environment' | 'model' | 'kind'>;
  readonly rateLimitRejections: Counter<'environment' | 'route'>;
  readonly upstreamFailures: Counter<'provider' | 'model' | 'code'>;
  readonly fallbacks: Counter<'model' | 'deployment'>;
  readonly keyCooldowns: Counter<'provider'>;
  readonly cacheLookups: Counter<'environment' | 'result'>;
  readonly usageRowsPending: Gauge<'environment'>;
  readonly usageRowsWritten: Counter<'environment'>;
  readonly usageWriteFailures: Counter<'environment'>;
  readonly skillCalls: Counter<'environment' | 'app' | 'skill' | 'outcome'>;
  readonly skillDuration: Histogram<'app' | 'skill'>;
}

/** One registry per server instance, so tests can run several servers in one process. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const cacheLookups = new Counter({
    name: 'switchyard_cache_lookups_total',
    help: 'Response cache lookups by result (hit or miss)',
    labelNames: ['environment', 'result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_cache_hit_ratio',
    help: 'Response cache hits / lookups since start, per environment',
    labelNames: ['environment'],
    registers: [registry],
    async collect() {
      const totals: Record<string, { hit: number; all: number }> = {};
      for (const sample of (await cacheLookups.get()).values) {
        const environment = String(sample.labels.environment);
        totals[environment] ??= { hit: 0, all: 0 };
        totals[environment].all += sample.value;
        if (sample.labels.result === 'hit') totals[environment].hit += sample.value;
      }
      for (const [environment, total] of Object.entries(totals)) {
        this.set({ environment }, total.all === 0 ? 0 : total.hit / total.all);
      }
    },
  });
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_process_' });
  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  return {
    registry,
    httpRequests: new Counter({
      name: 'switchyard_http_requests_total',
      help: 'HTTP requests answered, by environment, route, method, status and model',
      labelNames: ['environment', 'route', 'method', 'status', 'model'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Time from request received to response finished',
      labelNames: ['environment', 'route', 'model'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'switchyard_upstream_duration_seconds',
      help: 'Time spent waiting on upstream providers',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'switchyard_tokens_total',
      help: 'Tokens processed, by environment, model and kind (prompt or completion)',
      labelNames: ['environment', 'model', 'kind'],
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'switchyard_rate_limit_rejections_total',
      help: 'Requests rejected with 429 by the rate limiter',
      labelNames: ['environment', 'route'],
      registers: [registry],
    }),
    upstreamFailures: new Counter({
      name: 'switchyard_upstream_failures_total',
      help: 'Failed upstream attempts (each may be followed by a retry or fallback), by error code',
      labelNames: ['provider', 'model', 'code'],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'switchyard_fallbacks_total',
      help: 'Requests answered by a deployment other than the first choice',
      labelNames: ['model', 'deployment'],
      registers: [registry],
    }),
    keyCooldowns: new Counter({
      name: 'switchyard_upstream_key_cooldowns_total',
      help: 'Upstream keys put in cooldown after a 429',
      labelNames: ['provider'],
      registers: [registry],
    }),
    cacheLookups,
    usageRowsPending: new Gauge({
      name: 'switchyard_usage_rows_pending',
      help: 'Usage log rows buffered and not yet written',
      labelNames: ['environment'],
      registers: [registry],
    }),
    usageRowsWritten: new Counter({
      name: 'switchyard_usage_rows_written_total',
      help: 'Usage log rows written to the database',
      labelNames: ['environment'],
      registers: [registry],
    }),
    skillCalls: new Counter({
      name: 'switchyard_skill_calls_total',
      help: 'App skill calls, by environment, app, skill and outcome (ok, error, timeout, unavailable, invalid)',
      labelNames: ['environment', 'app', 'skill', 'outcome'],
      registers: [registry],
    }),
    skillDuration: new Histogram({
      name: 'switchyard_skill_duration_seconds',
      help: 'Time an app took to answer a skill call',
      labelNames: ['app', 'skill'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    usageWriteFailures: new Counter({
      name: 'switchyard_usage_write_failures_total',
      help: 'Failed batch inserts of usage rows (rows are kept and retried)',
      labelNames: ['environment'],
      registers: [registry],
    }),
  };
}

interface JobStatsSource {
  stats(): Promise<{ byName: Record<string, Record<'waiting' | 'delayed' | 'active' | 'completed' | 'dead', number>> }>;
  heartbeats(): Promise<Array<{ lastSeenAt: Date }>>;
}

/** Queue depth per job and state, and live workers, read from the queue at scrape time. */
export function registerJobMetrics(metrics: Metrics, jobs: JobStatsSource): void {
  new Gauge({
    name: 'switchyard_jobs',
    help: 'Jobs by name and state (waiting, delayed, active, completed, dead)',
    labelNames: ['name', 'state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      const stats = await jobs.stats().catch(() => null);
      for (const [name, counts] of Object.entries(stats?.byName ?? {})) {
        for (const [state, value] of Object.entries(counts)) this.set({ name, state }, value);
      }
    },
  });
  new Gauge({
    name: 'switchyard_job_workers_alive',
    help: 'Job workers that sent a heartbeat in the last minute',
    registers: [metrics.registry],
    async collect() {
      const workers = await jobs.heartbeats().catch(() => []);
      this.set(workers.filter((worker) => Date.now() - worker.lastSeenAt.getTime() < 60_000).length);
    },
  });
}
