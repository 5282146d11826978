import { type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import type { FastifyRequest } from 'fastify';

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
 * Cross-site request forgery guard for requests a browser authenticates with
 * the session cookie: a state-changing request must say where it comes from
 * (Origin, or Referer), and that must be this server, PUBLIC_URL or one of
 * `auth.trustedOrigins`. better-auth applies the same rule under /api/auth.
 * Comparing hosts, not schemes, keeps it working behind a TLS-terminating proxy.
 */
export function assertTrustedOrigin(
  request: FastifyRequest,
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
  const trusted = [request.host, hostOf(config.publicUrl ?? undefined), ...config.accounts.trustedOrigins.map(hostOf)];
  if (!trusted.includes(sourceHost)) {
    throw new SwitchyardError('SY_ERR_FORBIDDEN', `Requests from ${sourceHost} may not use this session`);
  }
}
