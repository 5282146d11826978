import type { ServerResponse } from 'node:http';
import type { Environment, RateLimiter, SwitchyardConfig } from '@switchyard/core';
import {
  defaultKeyScopes,
  environmentOfKey,
  environments,
  hashApiKey,
  type KeyScope,
  keyScopes,
  SwitchyardError,
} from '@switchyard/core';
import type { SwitchyardDatabase } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import { levels } from 'pino';
import type { AccountService, SessionUser } from '../accounts/account-service';
import type { Metrics } from '../infrastructure/metrics';
import type { CachedKey, KeyStore } from '../keys/key-store';
import { projectOfBudgetSubject } from '../plans/plan-store';
import type { SettingsStore } from '../settings/settings-store';
import { recordMeteredUsage } from '../usage/metered-usage';
import type { UsageWriter } from '../usage/usage-writer';
import { type AuthFailureLimit, createAuthFailureLimit } from './auth-failure-limit';
import type { EdgeReply, EdgeRequest } from './edge-request';
import { assertTrustedOrigin } from './origin-check';
import { applyPlanBeforeHandler, applyPlanRequestLimits, type EdgePlans } from './plan-limits';
import type { Principal, RouteBehaviour } from './principal';
import { closeConnectionAfter, type RequestTracker } from './request-tracker';

/** What the request hooks use: who is calling (keys, sessions), their limits, and what to record. */
export interface EdgeDependencies {
  readonly config: Pick<SwitchyardConfig, 'allowAnonymous' | 'publicUrl' | 'accounts'>;
  readonly keys: Pick<KeyStore, 'findByHash' | 'reloadForMiss' | 'ensureFresh'>;
  readonly accounts: Pick<AccountService, 'hasSessionCookie' | 'sessionFromHeaders'>;
  readonly settings: Pick<SettingsStore, 'current'>;
  readonly limiter: Pick<RateLimiter, 'hit' | 'peek'>;
  readonly metrics: Pick<Metrics, 'httpRequests' | 'httpDuration' | 'tokens' | 'rateLimitRejections' | 'errors'>;
  readonly usage: Pick<UsageWriter, 'record'>;
  /** Requests in flight (connection and stream gauges); absent in tests that build the hooks alone. */
  readonly tracker?: RequestTracker;
  /** One log line per request answered; absent or disabled: none. */
  readonly accessLog?: AccessLogOptions;
  /** Wraps each request in a span when tracing is configured (edge/tracing.ts). */
  readonly tracing?: RequestTracing | null;
  /** True once shutdown began (SIGTERM): /ready answers 503, requests are still served, each response says `Connection: close`. */
  readonly isDraining?: () => boolean;
  /** True once the drain delay is over and the listener closed: requests still arriving on open connections are refused with SY_ERR_SHUTTING_DOWN. */
  readonly isStopping?: () => boolean;
  /** Plans, budgets and prices; without them every caller has the settings' limits and rows cost nothing. */
  readonly plans?: EdgePlans;
  /**
   * Each environment's database: a lazily opened one (embedded mode's dev database) is opened by the
   * first request of its environment, before the handler runs. Absent in tests that build the hooks alone.
   */
  readonly databases?: Readonly<Record<Environment, Pick<SwitchyardDatabase, 'openState' | 'ping'>>>;
}

/**
 * Null when the environment's database is open (every database but a lazily opened one); otherwise
 * its open, which a failure turns into a 503 for this request. After a failed open the database
 * refuses uses at once until its retry backoff has passed (2 s, doubling up to 30 s; see
 * lazyOpenRetryDelayMs), so a dev database that cannot open is not tried again on every dev request;
 * Retry-After says when the next attempt is. A request that needs nothing from its environment's
 * database synchronously (a chat completion writes its usage row later) still learns here that its
 * environment cannot serve it.
 */
function environmentDatabaseOpening(edge: EdgeDependencies, environment: Environment): Promise<void> | null {
  const database = edge.databases?.[environment];
  const state = database?.openState?.().state;
  if (!database || state === undefined || state === 'open') return null;
  return database.ping().catch((error: unknown) => {
    const retryInMs = database.openState?.().retryInMs ?? 0;
    throw new SwitchyardError(
      'SY_ERR_DEPENDENCY_UNAVAILABLE',
      `The ${environment} database could not be opened; retry shortly`,
      { cause: error, retryAfterSeconds: Math.max(1, Math.ceil(retryInMs / 1000)) },
    );
  });
}

export interface AccessLogOptions {
  readonly enabled: boolean;
  /** Share of successful requests logged (0–1); errors and slow requests always are. */
  readonly sampleRate: number;
  readonly slowMs: number;
}

/** The HTTP server span of a request: started before auth, ended with the response. */
export interface RequestTracing {
  /** Starts the request's span and runs `next` with it as the active context. */
  start(request: EdgeRequest, next: () => void): void;
  end(request: EdgeRequest, route: string, status: number): void;
}

/** Liveness and readiness still answer once the server stopped accepting, so a load balancer sees the drain. */
const answeredWhileDraining = new Set(['/health', '/ready']);

/**
 * A request that arrives once the server stopped accepting (on a kept-alive or pipelined connection) gets
 * the documented error shape, is told to close the connection, and leaves a usage row (under
 * its key when the key is known to this process: no database lookup while shutting down).
 */
function refuseWhileDraining(edge: EdgeDependencies, request: EdgeRequest, reply: EdgeReply): void {
  try {
    const token = bearerToken(request, request.routeOptions.config?.behaviour);
    if (token !== undefined) request.principal = principalForKey(edge, token);
  } catch {
    // An unknown or malformed key is refused for shutting down all the same.
  }
  if (request.principal) reply.header('x-environment', request.principal.environment);
  reply.header('connection', 'close');
  throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'The server is shutting down; retry the request', {
    retryAfterSeconds: 1,
  });
}

/**
 * SHA-256 of a key, remembered per key string: a client sends the same key on
 * every request. Only the hash is cached, never a verdict: every request still
 * looks the hash up in the key cache, so a revocation applies at once. Bounded
 * (cleared when full) so random keys cannot grow it; never logged.
 */
const keyHashCacheLimit = 1024;
const keyHashes = new Map<string, string>();
function cachedKeyHash(key: string): string {
  let hash = keyHashes.get(key);
  if (hash === undefined) {
    hash = hashApiKey(key);
    if (keyHashes.size >= keyHashCacheLimit) keyHashes.clear();
    keyHashes.set(key, hash);
  }
  return hash;
}

/** One principal per cached key record: a key reload (revocation, scope change) makes new records. */
const keyPrincipals = new WeakMap<CachedKey, Principal>();

function bearerToken(request: EdgeRequest, behaviour?: RouteBehaviour): string | undefined {
  const header = request.headers.authorization;
  if (!header) {
    const apiKey = behaviour?.apiKeyHeader ? request.headers['x-api-key'] : undefined;
    return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'The Authorization header must be "Bearer <api key>"');
  }
  return match[1];
}

/** Validates a key against the in-memory cache: prefix, existence, revocation, environment match. */
export function principalForKey(edge: EdgeDependencies, key: string): Principal {
  const prefixEnvironment = environmentOfKey(key);
  if (!prefixEnvironment) {
    throw new SwitchyardError('SY_ERR_INVALID_API_KEY', 'API keys start with prod_, dev_ or gt_');
  }
  const cached = edge.keys.findByHash(cachedKeyHash(key));
  if (!cached) throw new SwitchyardError('SY_ERR_INVALID_API_KEY', 'The API key is not valid');
  if (cached.revoked) throw new SwitchyardError('SY_ERR_API_KEY_REVOKED', 'The API key has been revoked');
  if (cached.environment !== prefixEnvironment) {
    throw new SwitchyardError(
      'SY_ERR_API_KEY_ENV_MISMATCH',
      `The key's prefix names ${prefixEnvironment} but the key belongs to ${cached.environment}`,
    );
  }
  let principal = keyPrincipals.get(cached);
  if (principal) return principal;
  principal = {
    kind: 'key',
    environment: cached.environment,
    keyId: cached.id,
    keyName: cached.name,
    keyPrefix: cached.keyPrefix,
    isAdmin: cached.isAdmin,
    // prod is the control plane: its admin keys administer every environment; a dev admin key only dev.
    adminEnvironments: !cached.isAdmin ? [] : cached.environment === 'prod' ? environments : [cached.environment],
    userId: cached.userId,
    projectId: cached.projectId,
    role: null,
    scopes: cached.scopes,
    subject: `key:${cached.id}`,
  } satisfies Principal;
  keyPrincipals.set(cached, principal);
  return principal;
}

function principalForUser(user: SessionUser): Principal {
  const isAdmin = user.role === 'admin';
  return {
    kind: 'user',
    // Sessions belong to the control plane; what a signed-in user does in the browser is prod.
    environment: 'prod',
    keyId: null,
    keyName: null,
    keyPrefix: null,
    isAdmin,
    // The control plane's admins: keys, users and settings of every environment are theirs.
    adminEnvironments: isAdmin ? environments : [],
    userId: user.userId,
    projectId: null,
    role: user.role,
    scopes: isAdmin ? keyScopes : defaultKeyScopes,
    subject: `user:${user.userId}`,
  };
}

/** The signed-in user behind the session cookie, with their current role; null without a valid session. */
async function sessionPrincipal(edge: EdgeDependencies, request: EdgeRequest): Promise<Principal | null> {
  const cookie = request.headers.cookie;
  if (!edge.accounts.hasSessionCookie(cookie)) return null;
  const user = await edge.accounts.sessionFromHeaders({ cookie, host: request.headers.host });
  if (!user) return null;
  assertTrustedOrigin(request, edge.config);
  return principalForUser(user);
}

function requiredScope(behaviour: RouteBehaviour): KeyScope | undefined {
  if (behaviour.scope) return behaviour.scope;
  if (behaviour.rateLimit === 'chat') return 'chat';
  if (behaviour.rateLimit === 'image') return 'images';
  if (behaviour.rateLimit === 'messages') return 'messages';
  return undefined;
}

function anonymous(request: EdgeRequest): Principal {
  return {
    kind: 'anonymous',
    environment: 'prod',
    keyId: null,
    keyName: null,
    keyPrefix: null,
    isAdmin: false,
    adminEnvironments: [],
    userId: null,
    projectId: null,
    role: null,
    scopes: [],
    subject: `ip:${request.ip}`,
  };
}

async function authenticate(
  edge: EdgeDependencies,
  failures: AuthFailureLimit,
  request: EdgeRequest,
  reply: EdgeReply,
  behaviour: RouteBehaviour,
) {
  if (behaviour.auth === 'session') {
    // Only a signed-in user: a key must not mint or manage other keys.
    const user = await sessionPrincipal(edge, request);
    if (!user) {
      throw new SwitchyardError(
        'SY_ERR_UNAUTHORIZED',
        'This endpoint needs a signed-in user (session cookie from POST /api/auth/sign-in/email)',
      );
    }
    request.principal = user;
    return;
  }
  let token: string | undefined;
  try {
    token = bearerToken(request, behaviour);
  } catch (error) {
    if (behaviour.auth === 'none') return;
    await failures.fail(request.ip);
    throw error;
  }
  if (token === undefined) {
    if ((behaviour.auth === 'optional' || behaviour.auth === 'admin') && !behaviour.noSession) {
      const user = await sessionPrincipal(edge, request);
      if (user) {
        if (behaviour.auth === 'admin' && !user.isAdmin) {
          throw new SwitchyardError('SY_ERR_FORBIDDEN', 'This endpoint needs an admin');
        }
        request.principal = user;
        return;
      }
    }
    if (behaviour.auth === 'required' || behaviour.auth === 'admin') {
      throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs an API key: Authorization: Bearer <key>');
    }
    if (behaviour.auth === 'optional' && !edge.config.allowAnonymous) {
      throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Anonymous access is disabled; send an API key');
    }
    request.principal = anonymous(request);
    return;
  }
  // The environment of a bad key's prefix still tags the error response.
  reply.header('x-environment', environmentOfKey(token) ?? 'prod');
  // A key revoked on another process a moment ago: with a shared change counter, this request sees it.
  const fresh = edge.keys.ensureFresh();
  if (fresh) await fresh;
  // A key this process has not heard of yet (created a moment ago elsewhere): look once more before refusing,
  // unless this client has already failed too often (then a flood of made-up keys costs no reloads).
  if (edge.keys.findByHash(cachedKeyHash(token)) === undefined && environmentOfKey(token)) {
    if (behaviour.auth !== 'none') await failures.assertOpen(request.ip);
    if (behaviour.auth !== 'none' || (await failures.isOpen(request.ip))) await edge.keys.reloadForMiss();
  }
  try {
    request.principal = principalForKey(edge, token);
  } catch (error) {
    if (behaviour.auth === 'none') return;
    await failures.fail(request.ip);
    throw error;
  }
  if (behaviour.auth === 'admin' && !request.principal.isAdmin) {
    throw new SwitchyardError('SY_ERR_FORBIDDEN', 'This endpoint needs an admin API key');
  }
}

function checkScope(principal: Principal | null, behaviour: RouteBehaviour): void {
  const scope = requiredScope(behaviour);
  if (!scope || !principal || principal.kind === 'anonymous' || principal.scopes.includes(scope)) return;
  throw new SwitchyardError(
    'SY_ERR_FORBIDDEN',
    principal.kind === 'key' ? `This key lacks the '${scope}' scope` : `This account may not use '${scope}'`,
  );
}

type RateLimitName = NonNullable<RouteBehaviour['rateLimit']>;

/** Keys count against their environment's limit; signed-in users and anonymous clients have their own. */
function limitSetting(principal: Principal, name: RateLimitName): string {
  if (name === 'chat' && principal.kind === 'user') return 'rate_limit.user.per_minute';
  if (name === 'chat' && principal.kind === 'anonymous') return 'rate_limit.anonymous.per_minute';
  return `rate_limit.${name}.${principal.environment}`;
}

/** The plan's own number for the route's limit: per key for keys, per user for users, per IP for anonymous chat. */
function planLimit(request: EdgeRequest, name: RateLimitName): number | null {
  const plan = request.plan?.plan;
  const principal = request.principal;
  if (!plan || !principal) return null;
  if (principal.kind === 'key') return plan.keyRequestsPerMinute;
  if (name !== 'chat') return null;
  return principal.kind === 'user' ? plan.userRequestsPerMinute : plan.ipRequestsPerMinute;
}

async function applyRateLimit(edge: EdgeDependencies, request: EdgeRequest, reply: EdgeReply, name: RateLimitName) {
  const principal = request.principal;
  if (!principal) return;
  const environment = principal.environment;
  const limit = planLimit(request, name) ?? edge.settings.current().getInteger(limitSetting(principal, name));
  const decision = await edge.limiter.hit(`${name}:${environment}:${principal.subject}`, limit);
  const resetSeconds = Math.ceil(decision.resetMs / 1000);
  reply.header('x-ratelimit-limit', String(decision.limit));
  reply.header('x-ratelimit-remaining', String(decision.remaining));
  reply.header('x-ratelimit-reset', String(resetSeconds));
  if (!decision.allowed) {
    edge.metrics.rateLimitRejections.inc({ environment, route: request.routeOptions.url ?? 'unknown' });
    throw new SwitchyardError(
      'SY_ERR_RATE_LIMITED',
      `Rate limit of ${decision.limit} ${name} requests per minute reached for this ${
        principal.kind === 'key' ? 'API key' : principal.kind === 'user' ? 'user' : 'client'
      } in ${environment}; retry in ${resetSeconds}s`,
      { retryAfterSeconds: Math.max(1, resetSeconds) },
    );
  }
}

/**
 * Every rule a request passes, as plain functions over a request and its reply: the Fastify hooks
 * (registerRequestHooks) and the fast path of the hot chat route (edge/fast-path.ts) call the same ones.
 */
export interface RequestRules {
  /**
   * First: the request id header, the in-flight tracker, then `next` (the rest of the request), inside its
   * span when tracing. The request id is passed on explicitly (request.id, request.log), not held in a context.
   */
  enter(request: EdgeRequest, reply: EdgeReply, next: () => void): void;
  /**
   * Before the body is read: the 499 usage row of a client that leaves, the drain, authentication, the
   * scope, the plan, the rate limits, and the environment's database.
   */
  admit(request: EdgeRequest, reply: EdgeReply): Promise<void>;
  /** After the body is parsed and validated: the plan's model and app lists and the budget reservation. */
  beforeHandler(request: EdgeRequest): Promise<void> | null;
  /** When the response is finished: the tracker, metrics, the access log and the usage row. */
  finished(request: EdgeRequest, status: number, elapsedMs: number): void;
}

export function createRequestRules(edge: EdgeDependencies): RequestRules {
  const failures = createAuthFailureLimit(edge);
  const plans = edge.plans;
  return {
    enter(request, reply, next) {
      reply.header('x-request-id', request.id);
      edge.tracker?.start(request, reply.raw);
      const tracing = edge.tracing;
      if (tracing) tracing.start(request, next);
      else next();
    },
    admit: (request, reply) => admit(edge, failures, request, reply),
    beforeHandler(request) {
      const behaviour = request.routeOptions.config?.behaviour;
      if (!plans || !behaviour || !request.plan) return null;
      return applyPlanBeforeHandler(plans, request, behaviour);
    },
    finished(request, status, elapsedMs) {
      answered.add(request);
      edge.tracker?.finish(request);
      recordRequest(edge, request, status, elapsedMs);
    },
  };
}

async function admit(
  edge: EdgeDependencies,
  failures: AuthFailureLimit,
  request: EdgeRequest,
  reply: EdgeReply,
): Promise<void> {
  request.receivedAt = performance.now();
  watchClientLeaving(edge, request, reply.raw);
  reply.header('x-environment', 'prod');
  if (edge.isDraining?.()) {
    // Served while the drain delay runs, with `Connection: close`; refused once the server stopped accepting.
    if (edge.tracker) closeConnectionAfter(edge.tracker, request, reply.raw);
    if (edge.isStopping?.() && !answeredWhileDraining.has(request.routeOptions.url ?? '')) {
      refuseWhileDraining(edge, request, reply);
    }
  }
  const behaviour = request.routeOptions.config?.behaviour;
  if (!behaviour) return;
  const plans = edge.plans;
  // A plan changed on another process a moment ago: with a shared change counter, this request sees it.
  // Asked now, in the same turn as the API keys' counter (authenticate), so Redis reads both in one
  // MGET; it never rejects (an unreadable counter keeps the plans in memory).
  const plansFresh = plans ? plans.store.ensureFresh() : undefined;
  await authenticate(edge, failures, request, reply, behaviour);
  if (request.principal) reply.header('x-environment', request.principal.environment);
  checkScope(request.principal, behaviour);
  if (plans && request.principal) {
    if (plansFresh) await plansFresh;
    request.plan = plans.store.resolve(request.principal);
  }
  if (behaviour.rateLimit) {
    await applyRateLimit(edge, request, reply, behaviour.rateLimit);
    await applyPlanRequestLimits(edge.limiter, edge.settings, edge.metrics, request, reply);
  }
  // Last: a refused request (scope, rate limit) does not open a database.
  const opening = request.principal ? environmentDatabaseOpening(edge, request.principal.environment) : null;
  if (opening) await opening;
}

/** Requests whose response was recorded by onResponse (`finished`). */
const answered = new WeakSet<object>();

/**
 * A client that leaves before the response is complete gets no onResponse (Fastify's onRequestAbort only
 * covers a body still being uploaded); count it as 499 so every request that reached the gateway, and maybe
 * the upstream, leaves a usage row. The same (only) close listener cancels the upstream call through
 * request.disconnect.
 */
function watchClientLeaving(edge: EdgeDependencies, request: EdgeRequest, response: ServerResponse): void {
  response.once('close', () => {
    edge.tracker?.finish(request);
    // Answered already (onResponse recorded it): a request made in process (app.inject, as the chat
    // page's first screen asks the API) closes a response whose writableFinished stays false.
    if (!response.writableFinished && !answered.has(request)) {
      request.disconnect?.abort(new Error('client disconnected'));
      recordRequest(edge, request, 499, performance.now() - (request.receivedAt ?? performance.now()));
    }
  });
}

/** Auth, environment tagging, rate limits, usage rows and metrics for every route. */
export function registerRequestHooks(app: FastifyInstance, edge: EdgeDependencies): RequestRules {
  const rules = createRequestRules(edge);
  app.decorateRequest('principal', null);
  app.decorateRequest('usageInfo', null);
  app.decorateRequest('receivedAt', null);
  app.decorateRequest('disconnect', null);
  app.decorateRequest('plan', null);
  app.decorateRequest('budgetTicket', null);
  app.decorateRequest('streaming', false);
  app.decorateRequest('errorCode', null);

  // Callback style: when tracing, the rest of the request (hooks, handler) runs inside its span.
  app.addHook('onRequest', (request, reply, done) => rules.enter(request, reply, done));
  app.addHook('onRequest', (request, reply) => rules.admit(request, reply));

  // After the body is parsed: the plan's model and app lists, and the budget reservation.
  if (edge.plans) {
    app.addHook('preHandler', async (request) => {
      await rules.beforeHandler(request);
    });
  }

  // Callback style, not async: no promise per request for a hook that never waits.
  app.addHook('onResponse', (request, reply, done) => {
    rules.finished(request, reply.statusCode, reply.elapsedTime);
    done();
  });
  return rules;
}

/**
 * Whether the request's logger writes info lines, asked before anything is logged: at `warn` the access
 * line would be dropped anyway, and the fast path's request would make its child logger for nothing
 * (a pino child with its redaction, ~1 % of a request's CPU).
 */
const infoLevel = levels.values.info ?? 30;

function logsInfo(request: EdgeRequest): boolean {
  // pino's own level table; `silent` is not in it, and writes nothing.
  return (levels.values[request.logLevel ?? request.log.level] ?? Number.POSITIVE_INFINITY) <= infoLevel;
}

/** Metrics and one usage row for a finished (or abandoned) request. */
function recordRequest(edge: EdgeDependencies, request: EdgeRequest, status: number, elapsedMs: number): void {
  const config = request.routeOptions.config;
  const behaviour = config?.behaviour;
  const route = config?.metricsRoute ?? request.routeOptions.url ?? 'unmatched';
  const environment = request.principal?.environment ?? 'prod';
  edge.tracing?.end(request, route, status);
  if (request.errorCode !== null) edge.metrics.errors.inc({ environment, code: request.errorCode });
  const accessLog = edge.accessLog;
  if (
    accessLog?.enabled &&
    logsInfo(request) &&
    (status >= 400 ||
      elapsedMs >= accessLog.slowMs ||
      accessLog.sampleRate >= 1 ||
      Math.random() < accessLog.sampleRate)
  ) {
    // Fastify's request logger adds reqId. The key's id, never the key; no URL (a query may hold a secret).
    request.log.info(
      {
        method: request.method,
        route,
        status,
        durationMs: Math.round(elapsedMs * 100) / 100,
        environment,
        keyId: request.principal?.keyId ?? null,
        ...(request.usageInfo?.model ? { model: request.usageInfo.model } : {}),
        ...(request.errorCode !== null ? { code: request.errorCode } : {}),
      },
      'request',
    );
  }
  const model = request.usageInfo?.model ?? null;
  const metricModel = model ?? '';
  edge.metrics.httpRequests.inc({
    environment,
    route,
    method: request.method,
    status: String(status),
    model: metricModel,
  });
  edge.metrics.httpDuration.observe({ environment, route, model: metricModel }, elapsedMs / 1000);
  if (behaviour?.usage === false || (!behaviour && !route.startsWith('/v1'))) return;
  const usage = request.usageInfo;
  if (usage?.promptTokens)
    edge.metrics.tokens.inc({ environment, model: metricModel, kind: 'prompt' }, usage.promptTokens);
  if (usage?.completionTokens) {
    edge.metrics.tokens.inc({ environment, model: metricModel, kind: 'completion' }, usage.completionTokens);
  }
  const ticket = request.budgetTicket;
  // Once per request: the close listener and onResponse may both end up here.
  request.budgetTicket = null;
  void recordMeteredUsage(edge, {
    environment,
    apiKeyId: request.principal?.keyId ?? null,
    userId: request.principal?.userId ?? null,
    projectId: projectOfBudgetSubject(request.plan?.budgetSubject),
    clientIp: request.ip,
    method: request.method,
    route,
    status,
    latencyMs: elapsedMs,
    // A failed image request generated nothing to pay for.
    used: usage && status >= 400 ? { ...usage, images: null } : usage,
    ticket,
  });
}
