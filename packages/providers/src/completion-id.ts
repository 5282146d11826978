import { randomBytes } from 'node:crypto';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += alphabet[byte % alphabet.length];
  return token;
}

/** Same shape as OpenAI's ids, so clients that sniff the `chatcmpl-` prefix keep working. */
export function createCompletionId(): string {
  return `chatcmpl-${randomToken(29)}`;
}

export function createToolCallId(): string {
  return `call_${randomToken(24)}`;
}

export function unixSeconds(date: Date = new Date()): number {
  return Math.floor(date.getTime() / 1000);
}
