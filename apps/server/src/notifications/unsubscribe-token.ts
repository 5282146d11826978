import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Environment, environments, SwitchyardError } from '@switchyard/core';
import type { NotificationChannelName } from '@switchyard/db';

/** What an unsubscribe link turns off: one kind on one channel for one user in one environment. */
export interface UnsubscribeClaim {
  environment: Environment;
  userId: string;
  kind: string;
  channel: NotificationChannelName;
}

export interface UnsubscribeTokens {
  sign(claim: UnsubscribeClaim): string;
  /** SY_ERR_NOT_FOUND for anything but an intact token of ours (the link just does not exist). */
  verify(token: string): UnsubscribeClaim;
}

const channels = new Set<string>(['in_app', 'email', 'whatsapp']);
const invalid = () => new SwitchyardError('SY_ERR_NOT_FOUND', 'This unsubscribe link is not valid');

/**
 * HMAC-signed tokens, so a link works without signing in and cannot be made for someone else. They do
 * not expire: a mail read months later must still unsubscribe. The key is derived from the session
 * secret with its own label, so a token is never valid as anything else.
 */
export function createUnsubscribeTokens(secret: string): UnsubscribeTokens {
  const key = createHmac('sha256', secret).update('switchyard notification unsubscribe v1').digest();
  const signature = (body: string) => createHmac('sha256', key).update(body).digest('base64url');
  return {
    sign(claim) {
      const body = Buffer.from(
        JSON.stringify([claim.environment, claim.userId, claim.kind, claim.channel]),
        'utf8',
      ).toString('base64url');
      return `${body}.${signature(body)}`;
    },
    verify(token) {
      const [body, mac, extra] = token.split('.');
      if (!body || !mac || extra !== undefined) throw invalid();
      const expected = Buffer.from(signature(body));
      const given = Buffer.from(mac);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
      let parts: unknown;
      try {
        parts = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((part) => typeof part === 'string')) {
        throw invalid();
      }
      const [environment, userId, kind, channel] = parts as string[];
      if (!environments.includes(environment as Environment) || !channels.has(channel ?? '')) throw invalid();
      return {
        environment: environment as Environment,
        userId: userId ?? '',
        kind: kind ?? '',
        channel: channel as NotificationChannelName,
      };
    },
  };
}
