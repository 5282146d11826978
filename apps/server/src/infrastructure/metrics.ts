import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
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
  readonly errors: Counter<'environment' | 'code'>;
}

/** V8's used heap right after the latest major (mark-compact) GC: the live heap, without the sawtooth. */
let heapAfterMajorGc: number | null = null;
/** Major collections observed so far: a reader can tell a fresh value from one left by an earlier collection. */
let majorGcsObserved = 0;
let gcObserver: PerformanceObserver | null = null;

function observeMajorGc(): void {
  if (gcObserver) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        heapAfterMajorGc = getHeapStatistics().used_heap_size;
        majorGcsObserved++;
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** How many major collections the gauge has seen (0 before createMetrics starts observing). */
export function majorGcsSeen(): number {
  return majorGcsObserved;
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
  // prom-client's own names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …) with one
  // `switchyard_` in front, the names standard Node.js dashboards and alerts query with a prefix.
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });
  // Sampled heap use rises and falls with every collection; its trend says little about a leak in
  // minutes. The heap left after each full collection does (the soak in bench/faults judges it).
  observeMajorGc();
  new Gauge({
    name: 'switchyard_nodejs_heap_used_after_major_gc_bytes',
    help: 'V8 heap in use right after the latest major (mark-compact) garbage collection; absent until the first one',
    registers: [registry],
    collect() {
      if (heapAfterMajorGc !== null) this.set(heapAfterMajorGc);
    },
  });
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
    errors: new Counter({
      name: 'switchyard_errors_total',
      help: 'Error answers by environment and SY_ERR_* code (quota, rate limit, upstream, …)',
      labelNames: ['environment', 'code'],
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

export interface BuildInfo {
  readonly version: string;
  readonly mode: 'embedded' | 'server';
  readonly role: 'all' | 'api' | 'worker';
}

/** `switchyard_build_info 1` with the version, Node.js version, mode and role as labels. */
export function registerBuildInfo(metrics: Metrics, build: BuildInfo): void {
  const gauge = new Gauge({
    name: 'switchyard_build_info',
    help: 'Always 1; the labels say which Switchyard version runs, on which Node.js, in which mode and role',
    labelNames: ['version', 'node_version', 'mode', 'role'],
    registers: [metrics.registry],
  });
  gauge.set({ version: build.version, node_version: process.versions.node, mode: build.mode, role: build.role }, 1);
}

/** What a database reports about its connections (node-postgres pool; null for the embedded database). */
export interface PoolSource {
  poolStats(): { total: number; idle: number; waiting: number; max: number } | null;
  ping(): Promise<void>;
}

export interface DependencySources {
  readonly databases: Readonly<Record<'prod' | 'dev', PoolSource>>;
  /** The embedded dev database opens on first use: probing it from a scrape would open it. */
  readonly probeDev: boolean;
  readonly redis: { ping(): Promise<unknown> } | null;
  /** Directory whose file system is reported as switchyard_disk_* (the data dir). */
  readonly dataDir: string;
  readonly statfs?: (path: string) => Promise<{ bsize: number; blocks: number; bavail: number }>;
}

const probeTimeoutMs = 2000;

async function probe(check: () => Promise<unknown>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), probeTimeoutMs);
        timer.unref();
      }),
    ]);
    return 1;
  } catch {
    return 0;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Read at scrape time, so they cost nothing between scrapes: whether each dependency answers,
 * the database pools' use, and the free space where the data dir lives.
 */
export function registerDependencyMetrics(metrics: Metrics, sources: DependencySources): void {
  new Gauge({
    name: 'switchyard_dependency_up',
    help: 'Whether a dependency answered a ping at scrape time (1) or not (0): database_prod, database_dev, redis',
    labelNames: ['dependency'],
    registers: [metrics.registry],
    async collect() {
      const checks: Array<[string, () => Promise<unknown>]> = [['database_prod', () => sources.databases.prod.ping()]];
      if (sources.probeDev) checks.push(['database_dev', () => sources.databases.dev.ping()]);
      const redis = sources.redis;
      if (redis) checks.push(['redis', () => redis.ping()]);
      const results = await Promise.all(checks.map(async ([name, check]) => [name, await probe(check)] as const));
      for (const [dependency, up] of results) this.set({ dependency }, up);
    },
  });
  new Gauge({
    name: 'switchyard_db_pool_connections',
    help: 'PostgreSQL pool connections per environment and state (total, idle, waiting clients, max)',
    labelNames: ['environment', 'state'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const environment of ['prod', 'dev'] as const) {
        const stats = sources.databases[environment].poolStats();
        if (!stats) continue;
        for (const [state, value] of Object.entries(stats)) this.set({ environment, state }, value);
      }
    },
  });
  const statfs = sources.statfs ?? ((path: string) => import('node:fs/promises').then((fs) => fs.statfs(path)));
  const disk = async () => statfs(sources.dataDir).catch(() => null);
  new Gauge({
    name: 'switchyard_disk_free_bytes',
    help: 'Bytes available to Switchyard on the file system of its data dir',
    registers: [metrics.registry],
    async collect() {
      const stats = await disk();
      if (stats) this.set(stats.bavail * stats.bsize);
    },
  });
  new Gauge({
    name: 'switchyard_disk_size_bytes',
    help: 'Size of the file system of the data dir',
    registers: [metrics.registry],
    async collect() {
      const stats = await disk();
      if (stats) this.set(stats.blocks * stats.bsize);
    },
  });
}

/** What the HTTP edge knows about requests in flight (see edge/request-tracker.ts). */
export interface InFlightSource {
  connections(): Promise<number>;
  openStreams(): ReadonlyMap<string, number>;
  inFlight(): number;
}

export function registerConnectionMetrics(metrics: Metrics, source: InFlightSource): void {
  // One HTTP server per set of parts; a second app built on the same parts (tests) keeps the first's gauges.
  if (metrics.registry.getSingleMetric('switchyard_http_active_connections')) return;
  new Gauge({
    name: 'switchyard_http_active_connections',
    help: 'Open TCP connections to the HTTP server (kept-alive ones included)',
    registers: [metrics.registry],
    async collect() {
      this.set(await source.connections());
    },
  });
  new Gauge({
    name: 'switchyard_http_requests_in_flight',
    help: 'Requests received and not yet answered',
    registers: [metrics.registry],
    collect() {
      this.set(source.inFlight());
    },
  });
  new Gauge({
    name: 'switchyard_http_open_streams',
    help: 'Server-sent event streams open now, by route',
    labelNames: ['route'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [route, count] of source.openStreams()) this.set({ route }, count);
    },
  });
}

/** Queue depth per job and state, and live workers, read from the queue at scrape time. */
export function registerJobMetrics(metrics: Metrics, source: JobStatsSource): void {
  // Both gauges read the same counts: one query per scrape, not two.
  let recent: { at: number; stats: ReturnType<JobStatsSource['stats']> } | null = null;
  const jobs = {
    stats() {
      if (!recent || Date.now() - recent.at > 1000) recent = { at: Date.now(), stats: source.stats() };
      return recent.stats;
    },
    heartbeats: () => source.heartbeats(),
  };
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
    name: 'switchyard_queue_depth',
    help: 'Jobs waiting to run (waiting + delayed) per queue (one queue per job name)',
    labelNames: ['queue'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      const stats = await jobs.stats().catch(() => null);
      for (const [queue, counts] of Object.entries(stats?.byName ?? {})) {
        this.set({ queue }, counts.waiting + counts.delayed);
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
