import { describe, expect, it } from 'vitest';
import {
  checkManifest,
  formatSkillEvent,
  readSkillEvents,
  replayWindowSeconds,
  SkillStreamError,
  signatureHeader,
  signatureOf,
  signRequest,
  timestampHeader,
  verifySignature,
} from './index';

const secret = 'a-test-secret-of-some-length';
const body = JSON.stringify({ input: { query: 'lamp' } });
const now = Date.UTC(2025, 0, 1, 12, 0, 0);

describe('signatures', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 and verifies it within the replay window', () => {
    const headers = signRequest(secret, body, now);
    expect(headers[timestampHeader]).toBe(String(now / 1000));
    expect(headers[signatureHeader]).toMatch(/^v1=[0-9a-f]{64}$/);
    const verify = (at: number) =>
      verifySignature({
        secret,
        body,
        timestamp: headers[timestampHeader],
        signature: headers[signatureHeader],
        now: at,
      });
    expect(verify(now)).toEqual({ ok: true });
    expect(verify(now + replayWindowSeconds * 1000)).toEqual({ ok: true });
    expect(verify(now + (replayWindowSeconds + 1) * 1000)).toMatchObject({ ok: false, reason: 'expired' });
    expect(verify(now - (replayWindowSeconds + 1) * 1000)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses another body, another secret, a missing or malformed header', () => {
    const headers = signRequest(secret, body, now);
    const base = { timestamp: headers[timestampHeader], signature: headers[signatureHeader], now };
    expect(verifySignature({ ...base, secret, body: `${body} ` })).toMatchObject({ reason: 'mismatch' });
    expect(verifySignature({ ...base, secret: 'another-secret', body })).toMatchObject({ reason: 'mismatch' });
    expect(verifySignature({ ...base, secret, body, signature: undefined })).toMatchObject({ reason: 'missing' });
    expect(verifySignature({ ...base, secret, body, signature: 'sha256=abc' })).toMatchObject({ reason: 'malformed' });
    expect(verifySignature({ ...base, secret, body, timestamp: '12.5' })).toMatchObject({ reason: 'malformed' });
    // The timestamp is signed: moving it into the window does not help a replay.
    expect(verifySignature({ ...base, secret, body, timestamp: String(now / 1000 + 1) })).toMatchObject({
      reason: 'mismatch',
    });
  });

  it('accepts any of several secrets (rotation) and any of several signatures', () => {
    const timestamp = now / 1000;
    const signature = `${signatureOf('old-secret', timestamp, body)}, ${signatureOf(secret, timestamp, body)}`;
    expect(verifySignature({ secret, body, timestamp: String(timestamp), signature, now })).toEqual({ ok: true });
    const signedWithOld = signatureOf('old-secret', timestamp, body);
    expect(
      verifySignature({
        secret: [secret, 'old-secret'],
        body,
        timestamp: String(timestamp),
        signature: signedWithOld,
        now,
      }),
    ).toEqual({ ok: true });
  });
});

describe('manifests', () => {
  const manifest = {
    name: 'Shop',
    version: '1.0.0',
    skills: [{ name: 'search', description: 'Finds products', input_schema: { type: 'object' } }],
    focus_modes: [{ id: 'shopping', name: 'Shopping', system_prompt: 'Help.', skills: ['search'] }],
  };

  it('accepts a valid manifest, extra fields included', () => {
    expect(checkManifest({ ...manifest, homepage: 'https://example.com' })).toMatchObject({ ok: true });
  });

  it('names what is wrong with an invalid one', () => {
    expect(checkManifest({ ...manifest, version: undefined })).toMatchObject({ ok: false });
    expect(
      checkManifest({ ...manifest, skills: [{ name: 'bad name', description: '', input_schema: {} }] }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('/skills/0/name') });
    expect(checkManifest({ ...manifest, skills: [...manifest.skills, ...manifest.skills] })).toEqual({
      ok: false,
      reason: "skill 'search' appears twice",
    });
    expect(
      checkManifest({ ...manifest, focus_modes: [{ id: 'x', name: 'X', system_prompt: 'p', skills: ['nope'] }] }),
    ).toEqual({ ok: false, reason: "focus mode 'x' names unknown skill 'nope'" });
    expect(checkManifest('<html>')).toMatchObject({ ok: false });
  });
});

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function collect(body: AsyncIterable<Uint8Array>, maxBytes?: number) {
  const events = [];
  for await (const event of readSkillEvents(body, maxBytes ? { maxBytes } : {})) events.push(event);
  return events;
}

describe('skill event streams', () => {
  it('reads progress events then the result, across arbitrary chunk boundaries, and stops at the result', async () => {
    const stream =
      ': keep-alive\n\n' +
      formatSkillEvent({ type: 'progress', progress: { message: 'one', fraction: 0.5 } }) +
      'event: something-newer\ndata: {}\n\n' +
      formatSkillEvent({ type: 'result', answer: { output: { ok: true } } }) +
      formatSkillEvent({ type: 'progress', progress: { message: 'after the end' } });
    const pieces = stream.match(/[\s\S]{1,7}/g) ?? [];
    expect(await collect(chunks(...pieces))).toEqual([
      { type: 'progress', progress: { message: 'one', fraction: 0.5 } },
      { type: 'result', answer: { output: { ok: true } } },
    ]);
  });

  it('reads an error event', async () => {
    const events = await collect(
      chunks(formatSkillEvent({ type: 'error', error: { code: 'out_of_stock', message: 'Gone' } })),
    );
    expect(events).toEqual([{ type: 'error', error: { code: 'out_of_stock', message: 'Gone' } }]);
  });

  it('rejects events that break the protocol, and streams past the byte limit', async () => {
    await expect(collect(chunks('event: result\ndata: not json\n\n'))).rejects.toThrow(SkillStreamError);
    await expect(collect(chunks('event: progress\ndata: {"fraction": 2}\n\n'))).rejects.toThrow(/progress event/);
    await expect(collect(chunks(': '.padEnd(100, 'x'), '\n\n'), 50)).rejects.toThrow(/passed 50 bytes/);
  });

  it('drops an event cut off at the end of the stream', async () => {
    expect(await collect(chunks('event: result\ndata: {"output":"x"}'))).toEqual([]);
  });
});
