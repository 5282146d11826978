import { isUserRole, type SwitchyardConfig, SwitchyardError, type UserRole } from '@switchyard/core';
import { createUsersRepository, type Db, type UserRow } from '@switchyard/db';
import type { Logger } from 'pino';
import { authBasePath, cookiePrefix } from './auth-constants';
import { authOrigins } from './auth-origin';
import type { SwitchyardAuth } from './better-auth';
import { betterAuthCall } from './better-auth-calls';
import { createMailer, type Mailer } from './mailer';
import { createSessionCache } from './session-cache';

export type SocialProvider = 'github' | 'google';

/** The signed-in user behind a session cookie, with the role the database holds now. */
export interface SessionUser {
  userId: string;
  sessionId: string;
  email: string;
  name: string;
  role: UserRole;
}

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  emailVerified: boolean;
  createdAt: string;
}

export interface CreateUserInput {
  email: string;
  password: string;
  name?: string;
  role: UserRole;
}

export interface AccountService {
  /** OAuth providers with client credentials in the config; the others have no endpoints. */
  readonly socialProviders: readonly SocialProvider[];
  readonly passwordResetDelivery: 'smtp' | 'log';
  /** Account mail (password resets, project invitations). */
  readonly mailer: Mailer;
  /** Where users reach the web app: links in mail are built from it (PUBLIC_URL, or this server on loopback). */
  siteOrigin(): string;
  /** better-auth's Fetch handler for everything under /api/auth. */
  handle(request: Request): Promise<Response>;
  hasSessionCookie(cookieHeader: string | undefined): boolean;
  /** Null when the request carries no valid, unexpired session. */
  sessionFromHeaders(headers: { cookie?: string | undefined; host?: string | undefined }): Promise<SessionUser | null>;
  /** `search`: only users whose email contains it. */
  listUsers(options?: { limit?: number; offset?: number; search?: string }): Promise<PublicUser[]>;
  /** Whether the next account made becomes admin: `auth.firstUserAdmin` is on and there is no admin yet. */
  nextAccountBecomesAdmin(): Promise<boolean>;
  setRole(id: string, role: UserRole): Promise<PublicUser>;
  /** For the CLI's `admin create`: a credential account exactly as sign-up makes one, then the role. */
  createUser(input: CreateUserInput): Promise<PublicUser>;
  /**
   * The port the server listens on, once it does: without PUBLIC_URL it is part of the one origin
   * accounts trust and build links from (PORT=0 picks it only at listen time).
   */
  listeningOn(port: number): void;
  /** Drops cached sessions and roles: called when another process announces an account change. */
  forget(): void;
  close(): void;
}

export interface AccountServiceOptions {
  db: Db;
  secret: string;
  config: SwitchyardConfig;
  logger: Logger;
  /** Tells every other process that sessions or roles changed. */
  announce: () => Promise<void>;
}

export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerified: row.emailVerified,
    createdAt: row.createdAt.toISOString(),
  };
}

const sessionCookiePattern = new RegExp(`(?:^|;\\s*)(?:__Secure-)?${cookiePrefix}\\.session_token=([^;]+)`);

/** Successful calls to these end or change sessions or the user, so cached lookups must go. */
const sessionChangingPaths = new Set(
  [
    '/sign-out',
    '/revoke-session',
    '/revoke-sessions',
    '/revoke-other-sessions',
    '/reset-password',
    '/change-password',
    '/update-user',
    '/delete-user',
  ].map((path) => `${authBasePath}${path}`),
);

function checkCredentials(input: CreateUserInput): { email: string; name: string } {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `'${input.email}' is not an email address`);
  }
  if (input.password.length < 8 || input.password.length > 128) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'A password must be 8 to 128 characters');
  }
  const name = (input.name ?? email.split('@')[0] ?? email).trim();
  return { email, name: name.length > 0 ? name : email };
}

export function createAccountService({ db, secret, config, logger, announce }: AccountServiceOptions): AccountService {
  const mailer = createMailer(config.smtp, logger);
  const users = createUsersRepository(db);
  let port = config.port;
  let instance: SwitchyardAuth | null = null;
  // Made on first use, so that without PUBLIC_URL it knows the port the server really listens on; and
  // better-auth itself loads then, so a start (and a process serving only API keys) never loads it.
  const betterAuth = async (): Promise<SwitchyardAuth> => {
    if (instance) return instance;
    const { createBetterAuth } = await import('./better-auth');
    instance ??= createBetterAuth({
      db,
      secret,
      config,
      mailer,
      logger,
      origins: authOrigins(config, port),
      // A fresh install has no admin: the first account made (sign-up or OAuth) becomes it, as the sign-up page says.
      onUserCreated: config.accounts.firstUserAdmin
        ? async (id) => {
            if (await users.promoteIfFirst(id)) logger.info({ userId: id }, 'the first account is the admin');
          }
        : undefined,
    });
    return instance;
  };
  // One second: the longest a session revoked on another process could still be honoured here.
  const cache = createSessionCache<SessionUser | null>({ ttlMs: 1000, maxEntries: 10_000 });

  const changed = async () => {
    cache.clear();
    await announce().catch((error: unknown) =>
      logger.error({ err: error }, 'announcing an account change failed; other processes catch up within 60 s'),
    );
  };

  const findUser = async (id: string) => {
    const row = await users.findById(id);
    if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No user with id '${id}'`);
    return row;
  };

  return {
    socialProviders: [
      ...(config.accounts.github ? (['github'] as const) : []),
      ...(config.accounts.google ? (['google'] as const) : []),
    ],
    passwordResetDelivery: mailer.delivery,
    mailer,
    siteOrigin: () => authOrigins(config, port).origin,

    async handle(request) {
      const response = await betterAuthCall(async () => (await betterAuth()).handler(request));
      if (request.method === 'POST' && response.ok && sessionChangingPaths.has(new URL(request.url).pathname)) {
        await changed();
      }
      return response;
    },

    hasSessionCookie(cookieHeader) {
      return cookieHeader !== undefined && sessionCookiePattern.test(cookieHeader);
    },

    async sessionFromHeaders({ cookie, host }) {
      const token = cookie ? sessionCookiePattern.exec(cookie)?.[1] : undefined;
      if (!cookie || !token) return null;
      const cached = cache.get(token);
      if (cached) return cached.value;
      const generation = cache.generation;
      const headers = new Headers({ cookie });
      if (host) headers.set('host', host);
      // Read-only: refreshing the expiry is left to the web app's own get-session calls.
      const found = await betterAuthCall(async () =>
        (await betterAuth()).api.getSession({ headers, query: { disableRefresh: true } }),
      );
      const role = found?.user.role;
      const user: SessionUser | null =
        found && isUserRole(role)
          ? {
              userId: found.user.id,
              sessionId: found.session.id,
              email: found.user.email,
              name: found.user.name,
              role,
            }
          : null;
      cache.set(token, user, generation);
      return user;
    },

    async nextAccountBecomesAdmin() {
      return config.accounts.firstUserAdmin && (await users.countByRole('admin')) === 0;
    },

    async listUsers(options) {
      return (await users.list(options)).map(toPublicUser);
    },

    async setRole(id, role) {
      const current = await findUser(id);
      if (current.role === 'admin' && role !== 'admin' && (await users.countByRole('admin')) <= 1) {
        throw new SwitchyardError('SY_ERR_CONFLICT', 'This is the last admin; make another user admin first');
      }
      const updated = await users.setRole(id, role);
      if (!updated) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No user with id '${id}'`);
      await changed();
      return toPublicUser(updated);
    },

    async createUser(input) {
      const { email, name } = checkCredentials(input);
      if (await users.findByEmail(email)) {
        throw new SwitchyardError('SY_ERR_CONFLICT', `A user with the email ${email} exists already`);
      }
      const created = await betterAuthCall(async () => {
        const context = await (await betterAuth()).$context;
        const hash = await context.password.hash(input.password);
        const user = await context.internalAdapter.createUser(
          { email, name, emailVerified: false },
          { method: 'admin' },
        );
        await context.internalAdapter.linkAccount({
          userId: user.id,
          providerId: 'credential',
          accountId: user.id,
          password: hash,
        });
        return user;
      });
      const withRole = await users.setRole(created.id, input.role);
      if (!withRole) throw new SwitchyardError('SY_ERR_INTERNAL', 'The new user disappeared before its role was set');
      await changed();
      return toPublicUser(withRole);
    },

    listeningOn(listeningPort) {
      if (listeningPort === port) return;
      port = listeningPort;
      instance = null;
    },

    forget() {
      cache.clear();
    },

    close() {
      mailer.close();
    },
  };
}
