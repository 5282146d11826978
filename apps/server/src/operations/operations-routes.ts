import { ErrorResponse, Health, KeyStatus } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { OperationsDependencies } from './operations-dependencies';

/** How long a dependency may take to answer a readiness check. */
const checkTimeoutMs = 2_000;
/**
 * How long a lazily opened embedded database may take to open (PGlite start and migrations, slower on
 * a busy machine) when /ready retries the open after a failed one: that open is progress, not a fault.
 */
export const openingDatabaseTimeoutMs = 30_000;

/**
 * Runs a readiness check with a 2 s bound; `opening` (a lazily opened database's first open under way)
 * extends it to openingDatabaseTimeoutMs, since that open is progress, not a fault.
 */
export async function checkDependency(
  check: () => Promise<unknown>,
  opening: () => boolean = () => false,
): Promise<{ ok: boolean; latency_ms: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_resolve, reject) => {
        const expire = () => {
          const waited = performance.now() - started;
          if (opening() && waited < openingDatabaseTimeoutMs) {
            timer = setTimeout(expire, Math.min(checkTimeoutMs, openingDatabaseTimeoutMs - waited)).unref();
            return;
          }
          reject(new Error(`timed out after ${Math.round(waited / 1000)}s`));
        };
        timer = setTimeout(expire, checkTimeoutMs).unref();
      }),
    ]);
    clearTimeout(timer);
    return { ok: true, latency_ms: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    clearTimeout(timer);
    return {
      ok: false,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
      error: (error as Error).message.slice(0, 200),
    };
  }
}

type ReadinessCheck = { ok: boolean; latency_ms: number; error?: string; required?: boolean; state?: string };

/**
 * A database's readiness. Embedded mode's dev database opens on its first use (a dev key's request),
 * not at start: until then it is reported `state: 'not opened'` without being opened (a readiness
 * probe must not pay a PGlite start), and an open under way (`opening`) does not hold /ready back
 * either. Once open it must answer like any database; after a failed open it is down (once the open's
 * retry backoff has passed the ping tries the open again, so it comes back by itself).
 */
async function checkDatabase(database: OperationsDependencies['databases']['prod']): Promise<ReadinessCheck> {
  const lazy = database.openState?.();
  if (lazy?.state === 'not opened' || lazy?.state === 'opening') return { ok: true, latency_ms: 0, state: lazy.state };
  const check = await checkDependency(
    () => database.ping(),
    () => database.isOpening?.() === true,
  );
  if (!lazy) return check;
  if (check.ok) return { ...check, state: 'open' };
  const after = database.openState?.();
  return { ...check, state: after?.state ?? lazy.state, ...(after?.error ? { error: after.error.slice(0, 200) } : {}) };
}

/** Liveness, readiness, Prometheus metrics and the caller's own status. */
export function registerOperationsRoutes(
  app: FastifyInstance,
  operations: OperationsDependencies,
  isDraining: () => boolean,
): void {
  app.get(
    '/health',
    {
      config: { behaviour: { auth: 'none', usage: false } },
      schema: {
        tags: ['Operations'],
        summary: 'Liveness: the process is up',
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { behaviour: { auth: 'none', usage: false } },
      schema: {
        tags: ['Operations'],
        summary:
          'Readiness: the prod database, Redis (when configured) and object storage answer; the dev database is reported (degraded when down)',
      },
    },
    async (_request, reply) => {
      const checks: Record<string, ReadinessCheck> = {
        database_prod: await checkDatabase(operations.databases.prod),
        // Reported, not required: a dev database that is down fails dev requests (503) only, and must
        // not take the prod traffic of this process out of a load balancer's rotation. `degraded` says so.
        database_dev: { ...(await checkDatabase(operations.databases.dev)), required: false },
      };
      const redis = operations.redis;
      if (redis) checks.redis = await checkDependency(() => redis.ping());
      checks.object_storage = await checkDependency(() => operations.storage.ping());
      // Reported, not required: an API process can serve chat with every worker down, and a load
      // balancer must not pull it out of rotation for that. Alert on switchyard_job_workers_alive instead.
      const workers = await checkDependency(async () => {
        const heartbeats = await operations.jobs.heartbeats();
        const alive = heartbeats.filter((worker) => Date.now() - worker.lastSeenAt.getTime() < 60_000);
        if (alive.length === 0) throw new Error('no job worker has sent a heartbeat in the last minute');
      });
      const ready = !isDraining() && Object.values(checks).every((check) => check.ok || check.required === false);
      const degraded = checks.database_dev?.ok === false;
      checks.job_workers = { ...workers, required: false };
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : isDraining() ? 'draining' : 'unavailable',
        degraded,
        mode: operations.mode,
        role: operations.role,
        checks,
      });
    },
  );

  app.get(
    '/metrics',
    {
      config: { behaviour: { auth: 'none', usage: false } },
      schema: {
        tags: ['Operations'],
        summary: 'Prometheus metrics (Bearer METRICS_TOKEN when configured)',
        hide: false,
      },
    },
    async (request, reply) => {
      const token = operations.config.metricsToken;
      if (token && request.headers.authorization !== `Bearer ${token}`) {
        throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Metrics need Authorization: Bearer <METRICS_TOKEN>');
      }
      return reply.type(operations.metrics.registry.contentType).send(await operations.metrics.registry.metrics());
    },
  );

  app.get(
    '/v1/status',
    {
      config: { behaviour: { auth: 'required' } },
      schema: {
        tags: ['Operations'],
        summary: "The key's environment, limits and what remains of them",
        security: [{ bearer: [] }],
        response: {
          200: KeyStatus,
          401: ErrorResponse,
        },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal?.kind !== 'key' || !principal.keyId) {
        throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs an API key');
      }
      const settings = operations.settings.current();
      const environment = principal.environment;
      const limitStatus = async (name: 'chat' | 'image') => {
        const decision = await operations.limiter.peek(
          `${name}:${environment}:${principal.subject}`,
          settings.getInteger(`rate_limit.${name}.${environment}`),
        );
        return {
          limit: decision.limit,
          remaining: decision.remaining,
          reset_seconds: Math.ceil(decision.resetMs / 1000),
        };
      };
      return {
        environment,
        key: {
          id: principal.keyId,
          name: principal.keyName ?? '',
          prefix: principal.keyPrefix ?? '',
          admin: principal.isAdmin,
        },
        limits: { chat: await limitStatus('chat'), image: await limitStatus('image') },
        quotas: { image_per_day: settings.getInteger(`ai.image.max_per_day_free.${environment}`) },
        mode: operations.mode,
      };
    },
  );
}
