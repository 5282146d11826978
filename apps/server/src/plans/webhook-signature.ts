import { createHmac, timingSafeEqual } from 'node:crypto';
import { SwitchyardError } from '@switchyard/core';

/** The header an external billing system signs its plan webhooks with. */
export const signatureHeader = 'switchyard-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the webhook secret>` (the scheme
 * Stripe uses): the timestamp is signed too, so a captured delivery cannot be replayed later than
 * the tolerance.
 */
export function signWebhook(secret: string, body: string | Buffer, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

function parse(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

/** Throws SY_ERR_INVALID_SIGNATURE (401) unless one v1 signature matches and the timestamp is recent. */
export function verifyWebhook(
  secret: string,
  body: Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number,
): void {
  const parsed = header ? parse(header) : null;
  if (!parsed) {
    throw new SwitchyardError('SY_ERR_INVALID_SIGNATURE', `The ${signatureHeader} header is missing or malformed`);
  }
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) {
    throw new SwitchyardError('SY_ERR_INVALID_SIGNATURE', 'The signature timestamp is outside the tolerance');
  }
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${parsed.timestamp}.`).update(body).digest('hex'),
    'utf8',
  );
  const matches = parsed.signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'utf8'), expected));
  if (!matches) throw new SwitchyardError('SY_ERR_INVALID_SIGNATURE', 'The signature does not match');
}
