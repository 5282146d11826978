import { createHmac, timingSafeEqual } from 'node:crypto';

export const timestampHeader = 'x-switchyard-timestamp';
export const signatureHeader = 'x-switchyard-signature';
/** A request signed longer ago (or further ahead) than this is refused: a captured request cannot be replayed later. */
export const replayWindowSeconds = 300;

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
export function signatureOf(secret: string, timestamp: number, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `v1=${hmac.digest('hex')}`;
}

/** The two headers a signed request carries. `now` in milliseconds (injectable for tests). */
export function signRequest(
  secret: string,
  body: string | Uint8Array,
  now: number = Date.now(),
): { [timestampHeader]: string; [signatureHeader]: string } {
  const timestamp = Math.floor(now / 1000);
  return { [timestampHeader]: String(timestamp), [signatureHeader]: signatureOf(secret, timestamp, body) };
}

export interface VerifyOptions {
  /** The app's secret; several while one is being replaced (any of them may have signed). */
  readonly secret: string | readonly string[];
  /** The raw body exactly as received (empty for a GET). */
  readonly body: string | Uint8Array;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  /** Milliseconds; default Date.now(). */
  readonly now?: number;
  readonly windowSeconds?: number;
}

export type Verification =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch'; message: string };

/**
 * Checks a request's signature: the timestamp within the replay window, then the HMAC compared in
 * constant time. The header may list several `v1=` values separated by commas (any may match).
 */
export function verifySignature(options: VerifyOptions): Verification {
  const { timestamp, signature } = options;
  if (!timestamp || !signature) {
    return { ok: false, reason: 'missing', message: `the request needs ${timestampHeader} and ${signatureHeader}` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: 'malformed', message: `${timestampHeader} must be unix seconds` };
  }
  const seconds = Number(timestamp);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - seconds) > (options.windowSeconds ?? replayWindowSeconds)) {
    return { ok: false, reason: 'expired', message: 'the signature is outside the replay window' };
  }
  const given = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => /^v1=[0-9a-f]{64}$/i.test(part))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  if (given.length === 0) {
    return { ok: false, reason: 'malformed', message: `${signatureHeader} must be v1=<64 hex digits>` };
  }
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = Buffer.from(signatureOf(secret, seconds, options.body).slice(3), 'hex');
    // Every candidate is compared (no early exit on the first byte): timingSafeEqual on equal lengths.
    if (given.some((candidate) => timingSafeEqual(candidate, expected))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch', message: 'the signature does not match' };
}
