import type { SwitchyardConfig } from '@switchyard/core';

export interface AuthOrigins {
  /** Where users reach this server: reset links and OAuth callbacks are built from it, never from Host. */
  origin: string;
  /** Every origin allowed to send account requests and to be a callbackURL/redirectTo target, `origin` included. */
  trusted: string[];
}

const loopbackNames = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const loopbackHost = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

/**
 * A Host (name and optional port) that only this machine can be reached at. Without
 * PUBLIC_URL it is the only Host that accounts answer on and that the CSRF guard
 * trusts: a DNS-rebinding page reaches a loopback server under its own name, never
 * under one of these.
 */
export function isLoopbackHost(host: string): boolean {
  return loopbackHost.test(host);
}

/**
 * PUBLIC_URL when it is set, plus `auth.trustedOrigins`. Without it accounts
 * answer on loopback only (see auth-routes.ts), and the origin is this server
 * itself: the loopback address it listens on (localhost when it listens on
 * every interface) at the port it listens on, and the other loopback
 * spellings of that same port. Never another port: whatever else runs on this
 * machine is not this server.
 */
export function authOrigins(
  config: Pick<SwitchyardConfig, 'publicUrl' | 'host' | 'accounts'>,
  port: number,
): AuthOrigins {
  const configured = config.accounts.trustedOrigins;
  if (config.publicUrl) {
    return { origin: config.publicUrl, trusted: [...new Set([config.publicUrl, ...configured])] };
  }
  const name = loopbackNames.has(config.host) ? config.host : 'localhost';
  const host = name === '::1' ? '[::1]' : name;
  const origin = `http://${host}:${port}`;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].map((alias) => `http://${alias}:${port}`);
  return { origin, trusted: [...new Set([origin, ...loopback, ...configured])] };
}
