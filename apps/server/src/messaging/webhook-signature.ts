import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>`: what Meta sends in X-Hub-Signature-256, the HMAC-SHA256 of the raw body keyed with the app secret. */
export function signatureOf(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Whether the header is the body's signature under this secret, compared in constant time. */
export function signatureMatches(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !/^sha256=[0-9a-fA-F]{64}$/.test(header)) return false;
  const expected = Buffer.from(signatureOf(rawBody, appSecret).slice(7), 'hex');
  const given = Buffer.from(header.slice(7), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Compares two tokens without leaking where they differ. */
export function tokensEqual(given: string, expected: string): boolean {
  const left = createHmac('sha256', 'token-compare').update(given).digest();
  const right = createHmac('sha256', 'token-compare').update(expected).digest();
  return timingSafeEqual(left, right);
}
