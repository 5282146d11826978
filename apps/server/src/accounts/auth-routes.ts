import { AuthConfig } from '@switchyard/api-schemas';
import type { RateLimiter, SwitchyardConfig } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAuthFailureLimit } from '../edge/auth-failure-limit';
import type { RouteBehaviour } from '../edge/principal';
import type { SettingsStore } from '../settings/settings-store';
import type { AccountService } from './account-service';
import { authBasePath, clientIpHeader } from './auth-constants';
import { isLoopbackHost } from './auth-origin';
import { resolveAuthPath } from './auth-path';

export interface AuthRouteDependencies {
  readonly accounts: AccountService;
  readonly config: Pick<SwitchyardConfig, 'accounts' | 'publicUrl'>;
  /** Sign-in, sign-up and reset attempts are counted per account and per client IP; bad reset tokens per IP. */
  readonly limiter: Pick<RateLimiter, 'hit' | 'peek' | 'refund'>;
  readonly settings: Pick<SettingsStore, 'current'>;
}

const fifteenMinutes = { windowMs: 15 * 60_000 };
const behaviour: RouteBehaviour = { auth: 'none', usage: false };
/** Request headers that describe the original body or connection, not the one handed to better-auth. */
const droppedHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', clientIpHeader]);

interface LimitedBucket {
  bucket: string;
  limit: number;
  /** Given back when the attempt succeeds: only failures count towards a lock. */
  refundOnSuccess: boolean;
}

function emailOf(body: unknown): string {
  const email = (body as { email?: unknown } | null)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
}

/**
 * Brute-force protection in front of better-auth, counted in the shared rate
 * limiter (Redis in server mode) over 15 minutes: failed sign-ins per email
 * and per client IP. Password-reset requests count every attempt against the
 * same limits, so nobody can mail-bomb an address.
 */
function bucketsFor(auth: AuthRouteDependencies, request: FastifyRequest, path: string): LimitedBucket[] {
  if (request.method !== 'POST') return [];
  const settings = auth.settings.current();
  const perAccount = settings.getInteger('auth.signin.per_account_per_15min');
  const perIp = settings.getInteger('auth.signin.per_ip_per_15min');
  const email = emailOf(request.body);
  switch (path) {
    case `${authBasePath}/sign-in/email`:
      return [
        { bucket: `signin:account:${email}`, limit: perAccount, refundOnSuccess: true },
        { bucket: `signin:ip:${request.ip}`, limit: perIp, refundOnSuccess: true },
      ];
    case `${authBasePath}/request-password-reset`:
      return [
        { bucket: `reset:account:${email}`, limit: perAccount, refundOnSuccess: false },
        { bucket: `reset:ip:${request.ip}`, limit: perIp, refundOnSuccess: false },
      ];
    default:
      return [];
  }
}

/** The two endpoints that take a password-reset token: the mailed link (GET) and the new-password form (POST). */
function takesResetToken(method: string, path: string): boolean {
  if (method === 'POST') return path === `${authBasePath}/reset-password`;
  return method === 'GET' && path.startsWith(`${authBasePath}/reset-password/`);
}

/** better-auth answers a bad token with 400 (POST) or a redirect carrying error=INVALID_TOKEN (GET). */
function resetTokenFailed(response: Response): boolean {
  if (response.status >= 400) return true;
  const location = response.headers.get('location');
  return location !== null && /[?&]error=/.test(location);
}

async function enforceLimits(auth: AuthRouteDependencies, buckets: LimitedBucket[]): Promise<void> {
  let retryMs = 0;
  for (const { bucket, limit } of buckets) {
    const decision = await auth.limiter.hit(`auth:${bucket}`, limit, fifteenMinutes);
    if (!decision.allowed) retryMs = Math.max(retryMs, decision.resetMs);
  }
  if (retryMs > 0) {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    throw new SwitchyardError(
      'SY_ERR_RATE_LIMITED',
      `Too many attempts; try again in ${Math.ceil(seconds / 60)} minute(s)`,
      { retryAfterSeconds: seconds },
    );
  }
}

function toWebRequest(request: FastifyRequest): Request {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || droppedHeaders.has(name)) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  // The IP Fastify resolved (trustProxy applied), so sessions record the real client and nobody can spoof it.
  headers.set(clientIpHeader, request.ip);
  const hasBody = request.method === 'POST' && request.body !== undefined && request.body !== null;
  return new Request(url, {
    method: request.method,
    headers,
    ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
  });
}

async function sendWebResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && name !== 'content-length' && name !== 'transfer-encoding') reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null);
}

/** better-auth's endpoints (sign-up, sign-in, sign-out, sessions, password reset, OAuth) under /api/auth. */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthRouteDependencies): void {
  const failures = createAuthFailureLimit(auth);
  app.route({
    method: ['GET', 'POST'],
    url: `${authBasePath}/*`,
    config: { behaviour },
    schema: { hide: true },
    async handler(request, reply) {
      if (!auth.config.publicUrl && !isLoopbackHost(request.host)) {
        throw new SwitchyardError(
          'SY_ERR_FORBIDDEN',
          'Accounts answer on localhost only until PUBLIC_URL (the address users reach this server at) is set',
        );
      }
      // better-auth serves what `new URL()` makes of the target: limits must count that path, and only
      // its one spelling is served, so no other spelling (./, x/../, %2e/, \, #) slips past them.
      const { path, canonical } = resolveAuthPath(request.url);
      if (!canonical) {
        throw new SwitchyardError(
          'SY_ERR_NOT_FOUND',
          'No auth endpoint here: spell the path without ./, ../, %2e, \\ or #',
        );
      }
      const buckets = bucketsFor(auth, request, path);
      await enforceLimits(auth, buckets);
      const tokenAttempt = takesResetToken(request.method, path);
      if (tokenAttempt) await failures.assertOpen(request.ip);
      const response = await auth.accounts.handle(toWebRequest(request));
      if (tokenAttempt && resetTokenFailed(response)) await failures.fail(request.ip);
      if (response.ok) {
        for (const { bucket } of buckets.filter((entry) => entry.refundOnSuccess)) {
          await auth.limiter.refund(`auth:${bucket}`, fifteenMinutes);
        }
      }
      return sendWebResponse(reply, response);
    },
  });

  app.get(
    '/api/auth-config',
    {
      config: { behaviour: { auth: 'none', usage: false } },
      schema: {
        tags: ['Accounts'],
        summary: 'How users can sign in here: email and password, and which OAuth providers are set up',
        response: { 200: AuthConfig },
      },
    },
    async () => ({
      emailAndPassword: {
        signUp: auth.config.accounts.allowSignUp,
        passwordReset: auth.accounts.passwordResetDelivery === 'smtp' ? 'email' : 'log',
      },
      socialProviders: [...auth.accounts.socialProviders],
      firstAccountBecomesAdmin: await auth.accounts.nextAccountBecomesAdmin(),
    }),
  );
}
