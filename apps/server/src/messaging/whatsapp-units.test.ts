import { parseWhatsAppConfig } from '@switchyard/core';
import { signWhatsAppPayload } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { contentOfRequest } from './message-service';
import { signatureMatches } from './webhook-signature';
import { splitForWhatsApp } from './whatsapp-bot';
import { graphError } from './whatsapp-cloud-api';

describe('Graph API errors', () => {
  const codeOf = (status: number | null, code: number) => {
    const error = graphError(status, { code, message: 'x' });
    return { code: error.code, retryable: error.isRetryable };
  };

  it('maps the Cloud API codes to stable errors, retrying only what may heal', () => {
    expect(codeOf(400, 131047)).toEqual({ code: 'SY_ERR_OUTSIDE_SERVICE_WINDOW', retryable: false });
    expect(codeOf(400, 131026)).toEqual({ code: 'SY_ERR_RECIPIENT_UNAVAILABLE', retryable: false });
    expect(codeOf(400, 131030)).toEqual({ code: 'SY_ERR_RECIPIENT_UNAVAILABLE', retryable: false });
    expect(codeOf(400, 130429)).toEqual({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', retryable: true });
    expect(codeOf(400, 131056)).toEqual({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', retryable: true });
    expect(codeOf(429, 4)).toEqual({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', retryable: true });
    expect(codeOf(401, 190)).toEqual({ code: 'SY_ERR_UPSTREAM_AUTH', retryable: false });
    expect(codeOf(500, 131000)).toEqual({ code: 'SY_ERR_UPSTREAM_UNAVAILABLE', retryable: true });
    expect(codeOf(503, Number.NaN)).toEqual({ code: 'SY_ERR_UPSTREAM_UNAVAILABLE', retryable: true });
    expect(codeOf(404, 132001)).toEqual({ code: 'SY_ERR_WHATSAPP_TEMPLATE_REJECTED', retryable: false });
    expect(codeOf(400, 132000)).toEqual({ code: 'SY_ERR_WHATSAPP_TEMPLATE_REJECTED', retryable: false });
    expect(codeOf(400, 100)).toEqual({ code: 'SY_ERR_UPSTREAM_BAD_REQUEST', retryable: false });
    expect(graphError(400, { code: 131047 }).message).toMatch(/template/);
  });
});

describe('splitting answers at 4096 characters', () => {
  it('keeps short answers whole and cuts long ones at paragraphs, lines or spaces', () => {
    expect(splitForWhatsApp('hello')).toEqual(['hello']);
    const paragraphs = `${'a'.repeat(3000)}\n\n${'b'.repeat(3000)}`;
    expect(splitForWhatsApp(paragraphs)).toEqual(['a'.repeat(3000), 'b'.repeat(3000)]);
    const words = 'word '.repeat(2000).trim();
    const pieces = splitForWhatsApp(words);
    expect(pieces.every((piece) => piece.length <= 4096 && !piece.startsWith(' '))).toBe(true);
    expect(pieces.join(' ')).toBe(words);
  });

  it('cuts a text without spaces hard, never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(3000);
    const pieces = splitForWhatsApp(emoji);
    expect(
      pieces.every((piece) => piece.length <= 4096 && (piece as string & { isWellFormed(): boolean }).isWellFormed()),
    ).toBe(true);
    expect(pieces.join('')).toBe(emoji);
  });
});

describe('webhook signatures', () => {
  it('accepts exactly the HMAC-SHA256 of the raw bytes under the app secret', () => {
    const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    const signature = signWhatsAppPayload(raw, 'app-secret');
    expect(signatureMatches(raw, signature, 'app-secret')).toBe(true);
    expect(signatureMatches(raw, signature, 'other-secret')).toBe(false);
    expect(signatureMatches(Buffer.from(`${raw} `), signature, 'app-secret')).toBe(false);
    expect(signatureMatches(raw, signature.replace('sha256=', 'sha1='), 'app-secret')).toBe(false);
    expect(signatureMatches(raw, undefined, 'app-secret')).toBe(false);
  });
});

describe('the whatsapp configuration', () => {
  it('gives each environment its own number and keeps the dry-run sink in dev', () => {
    const config = parseWhatsAppConfig(
      { appSecret: 's', prod: { phoneNumberId: '1', accessToken: 't' }, dev: { dryRun: true } },
      'test',
    );
    expect(config?.senders.prod).toMatchObject({ kind: 'graph', phoneNumberId: '1' });
    expect(config?.senders.dev).toMatchObject({ kind: 'dry-run' });
    expect(() => parseWhatsAppConfig({ prod: { dryRun: true } }, 'test')).toThrow(/dev only/);
    expect(() =>
      parseWhatsAppConfig(
        { prod: { phoneNumberId: '1', accessToken: 't' }, dev: { phoneNumberId: '1', accessToken: 'u' } },
        'test',
      ),
    ).toThrow(/different phone numbers/);
    expect(() => parseWhatsAppConfig({ prod: { phoneNumberId: '1' } }, 'test')).toThrow(/accessToken/);
  });
});

describe('request bodies as Cloud API messages', () => {
  it('builds text, template, media messages and refuses mixed ones', () => {
    expect(contentOfRequest({ to: '+15550001', text: 'hi' })).toEqual({ type: 'text', text: { body: 'hi' } });
    expect(contentOfRequest({ to: '+15550001', type: 'document', document: { id: '123', filename: 'a.pdf' } })).toEqual(
      { type: 'document', document: { id: '123', filename: 'a.pdf' } },
    );
    expect(() =>
      contentOfRequest({ to: '+15550001', type: 'audio', audio: { link: 'https://x/a.ogg', id: '1' } }),
    ).toThrow(/exactly one/);
    expect(() => contentOfRequest({ to: '+15550001', type: 'template' })).toThrow(/template/);
  });
});
