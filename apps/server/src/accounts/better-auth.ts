import type { SwitchyardConfig } from '@switchyard/core';
import { accounts, type Db, sessions, users, verifications } from '@switchyard/db';
import { APIError, betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import type { Logger } from 'pino';
import { authBasePath, clientIpHeader, cookiePrefix, defaultResetPage } from './auth-constants';
import type { AuthOrigins } from './auth-origin';
import type { Mailer } from './mailer';

export interface BetterAuthOptions {
  db: Db;
  secret: string;
  config: SwitchyardConfig;
  mailer: Mailer;
  logger: Logger;
  /** Runs after every new account is stored (sign-up, OAuth, CLI). */
  onUserCreated?: ((userId: string) => Promise<void>) | undefined;
  /** The public origin and the trusted ones (see auth-origin.ts). */
  origins: AuthOrigins;
}

/** A reset link whose client asked for no page would end on an error page; send it to the web app's form. */
function withResetPage(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.get('callbackURL')) parsed.searchParams.set('callbackURL', defaultResetPage);
  return parsed.toString();
}

export function createBetterAuth({ db, secret, config, mailer, logger, onUserCreated, origins }: BetterAuthOptions) {
  const authLogger = logger.child({ component: 'better-auth' });
  const { github, google } = config.accounts;
  return betterAuth({
    appName: 'Switchyard',
    // A fixed origin, not one derived from Host: a forged Host must not choose where reset links point.
    baseURL: origins.origin,
    basePath: authBasePath,
    secret,
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: !config.accounts.allowSignUp,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      resetPasswordTokenExpiresIn: 3600,
      // Whoever had the old password (or a stolen cookie) is signed out everywhere.
      revokeSessionsOnPasswordReset: true,
      async sendResetPassword({ user, url }) {
        // Not awaited: how long a real send takes would tell a caller whether the address has an account.
        void mailer.sendPasswordReset({ to: user.email, name: user.name, url: withResetPage(url) });
      },
    },
    socialProviders: {
      ...(github ? { github: { clientId: github.clientId, clientSecret: github.clientSecret } } : {}),
      ...(google ? { google: { clientId: google.clientId, clientSecret: google.clientSecret } } : {}),
    },
    user: {
      additionalFields: {
        // input: false — sign-up and update-user bodies can never set it; only an admin's role change can.
        role: { type: 'string', required: false, defaultValue: 'user', input: false },
      },
    },
    databaseHooks: {
      user: {
        create: {
          // Every new account starts as a user, however it was created (email, OAuth profile, CLI).
          before: async (user) => ({ data: { ...user, role: 'user' } }),
          after: async (user) => {
            await onUserCreated?.(user.id);
          },
        },
      },
    },
    session: {
      expiresIn: 7 * 24 * 3600,
      updateAge: 24 * 3600,
      // A cookie-cached session would outlive sign-out-everywhere and role changes on other devices.
      cookieCache: { enabled: false },
    },
    // Exactly these: callbackURL, redirectTo and Origin naming anything else (another port included) get 403.
    trustedOrigins: origins.trusted,
    // Sign-in attempts are limited by our own limiter (shared across processes through Redis).
    rateLimit: { enabled: false },
    advanced: {
      // Explicit, because better-auth switches both off by itself when it detects a test run.
      disableOriginCheck: false,
      disableCSRFCheck: false,
      cookiePrefix,
      useSecureCookies: config.publicUrl?.startsWith('https://') === true,
      ipAddress: { ipAddressHeaders: [clientIpHeader] },
    },
    onAPIError: {
      onError(error) {
        // A wrong password or a foreign origin is an answer to the client, not a fault of the server.
        if (error instanceof APIError && error.statusCode < 500) {
          authLogger.info({ status: error.statusCode }, error.message);
        } else {
          authLogger.error({ err: error }, 'an account request failed');
        }
      },
    },
    telemetry: { enabled: false },
    logger: {
      level: 'warn',
      log(level, message) {
        authLogger[level](message);
      },
    },
  });
}

export type SwitchyardAuth = ReturnType<typeof createBetterAuth>;
