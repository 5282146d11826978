import { type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import { isLoopbackHost } from '../accounts/auth-origin';
import type { EdgeRequest } from './edge-request';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * The hosts a cookie-authenticated write may come from: PUBLIC_URL's and
 * `auth.trustedOrigins`'. The request's own Host is whatever a DNS-rebinding
 * page or a misrouted proxy says, so it counts only without PUBLIC_URL (a local
 * start) and only when it is a loopback name, where accounts answer too
 * (accounts/auth-routes.ts): the same origins better-auth trusts (auth-origin.ts).
 */
function trustedHosts(request: Pick<EdgeRequest, 'host'>, config: Pick<SwitchyardConfig, 'publicUrl' | 'accounts'>) {
  const configured = config.accounts.trustedOrigins.map(hostOf);
  if (config.publicUrl) return [hostOf(config.publicUrl), ...configured];
  return isLoopbackHost(request.host) ? [request.host, ...configured] : configured;
}

/**
 * Cross-site request forgery guard for requests a browser authenticates with
 * the session cookie: a state-changing request must say where it comes from
 * (Origin, or Referer), and that must be one of `trustedHosts`. better-auth
 * applies the same rule under /api/auth. Comparing hosts, not schemes, keeps it
 * working behind a TLS-terminating proxy.
 */
export function assertTrustedOrigin(
  request: Pick<EdgeRequest, 'method' | 'headers' | 'host'>,
  config: Pick<SwitchyardConfig, 'publicUrl' | 'accounts'>,
): void {
  if (safeMethods.has(request.method)) return;
  const origin = request.headers.origin;
  const sourceHost = origin && origin !== 'null' ? hostOf(origin) : hostOf(request.headers.referer);
  if (!sourceHost) {
    throw new SwitchyardError(
      'SY_ERR_FORBIDDEN',
      'A request signed in with a session cookie must send an Origin header; scripts should use an API key',
    );
  }
  if (!trustedHosts(request, config).includes(sourceHost)) {
    throw new SwitchyardError('SY_ERR_FORBIDDEN', `Requests from ${sourceHost} may not use this session`);
  }
}
