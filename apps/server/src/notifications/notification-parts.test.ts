import { isSwitchyardError } from '@switchyard/core';
import { isUnrecoverable } from '@switchyard/jobs';
import { closedPortUrl, startTestSmtpServer } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createEmailChannel } from './email-channel';
import { renderEmail, renderWhatsAppTemplateParameters, renderWhatsAppText } from './email-templates';
import { eventNotificationMappings } from './notification-events';
import type { OutboundMessage } from './outbound-channel';
import { createUnsubscribeTokens } from './unsubscribe-token';
import { createWhatsAppChannel, type WhatsAppSender } from './whatsapp-channel';

const secret = 'a-session-secret-of-at-least-32-characters';
const message = (to: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  environment: 'prod',
  batchId: 'ndl_1_whatsapp',
  to,
  name: 'Ada',
  digest: false,
  items: [
    {
      kind: 'system.test',
      title: 'Hello <b>',
      body: 'One & two',
      url: 'https://switchyard.test/searches/1',
      createdAt: new Date(0),
      unsubscribeUrl: 'https://switchyard.test/api/notifications/unsubscribe?token=t&x=1',
    },
  ],
  ...overrides,
});

describe('unsubscribe tokens', () => {
  it('verify what they signed and refuse anything altered or signed with another secret', () => {
    const tokens = createUnsubscribeTokens(secret);
    const claim = { environment: 'dev' as const, userId: 'user-1', kind: 'system.test', channel: 'email' as const };
    const token = tokens.sign(claim);
    expect(tokens.verify(token)).toEqual(claim);
    const [body = '', mac = ''] = token.split('.');
    const otherUser = Buffer.from(JSON.stringify(['dev', 'user-2', 'system.test', 'email'])).toString('base64url');
    for (const forged of [`${otherUser}.${mac}`, `${body}.${mac.slice(1)}`, body, `${token}.x`, '']) {
      expect(() => tokens.verify(forged)).toThrow(/not valid/);
    }
    expect(() => createUnsubscribeTokens(`${secret}!`).verify(token)).toThrow(/not valid/);
  });
});

describe('notification mail and WhatsApp text', () => {
  it('escapes every value in the HTML and links only http(s) URLs', () => {
    const mail = renderEmail(
      message('ada@example.com', {
        items: [{ ...message('x').items[0], url: 'javascript:alert(1)' } as OutboundMessage['items'][number]],
      }),
    );
    expect(mail.subject).toBe('Hello <b>');
    expect(mail.html).toContain('Hello &#60;b&#62;');
    expect(mail.html).toContain('One &#38; two');
    expect(mail.html).not.toContain('javascript:');
    expect(mail.html).toContain('token=t&#38;x=1');
    expect(mail.text).toContain(
      'Stop these emails (system.test): https://switchyard.test/api/notifications/unsubscribe',
    );
    expect(mail.listUnsubscribe).toBe('https://switchyard.test/api/notifications/unsubscribe?token=t&x=1');
  });

  it('cuts a WhatsApp text to 4,096 characters', () => {
    const long = message('+15551234567', {
      items: [{ ...message('x').items[0], body: 'x'.repeat(5_000) } as OutboundMessage['items'][number]],
    });
    const text = renderWhatsAppText(long);
    expect(text).toHaveLength(4_096);
    expect(text.startsWith('*Hello <b>*\n')).toBe(true);
  });
});

describe('email channel', () => {
  it('is unavailable without SMTP settings', () => {
    expect(createEmailChannel(null).available).toBe(false);
  });

  it('treats an unreachable mail server as an outage to retry, a refused recipient as final', async () => {
    const closed = new URL(await closedPortUrl());
    const down = createEmailChannel({
      host: closed.hostname,
      port: Number(closed.port),
      secure: false,
      user: null,
      password: null,
      from: 'Switchyard <notify@switchyard.test>',
    });
    const outage = await down.send(message('ada@example.com'), new AbortController().signal).catch((error) => error);
    expect(isSwitchyardError(outage) && outage.isRetryable).toBe(true);
    expect(isUnrecoverable(outage)).toBe(false);
    expect(outage.message).toContain('could not be reached');
    expect(outage.message).not.toContain('ada@example.com');
    down.close();

    const smtp = await startTestSmtpServer({ refuseRecipient: (address) => address.startsWith('gone@') });
    try {
      const channel = createEmailChannel({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        user: null,
        password: null,
        from: 'Switchyard <notify@switchyard.test>',
      });
      const refused = await channel
        .send(message('gone@example.com'), new AbortController().signal)
        .catch((error) => error);
      expect(isUnrecoverable(refused)).toBe(true);
      expect(refused.message).toBe('The mail server answered 550');
      await channel.send(message('ada@example.com'), new AbortController().signal);
      expect((await smtp.waitForMail()).to).toEqual(['ada@example.com']);
      channel.close();
    } finally {
      await smtp.close();
    }
  });
});

describe('WhatsApp channel', () => {
  it('is off without a sender and hands the template parameters and text to the messaging capability’s sender', async () => {
    expect(createWhatsAppChannel(null).available).toBe(false);
    const sent: Array<Parameters<WhatsAppSender['send']>[0]> = [];
    const channel = createWhatsAppChannel({
      async send(outgoing) {
        sent.push(outgoing);
      },
    });
    expect(channel.available).toBe(true);
    await channel.send(message('+15551234567', { digest: true }), new AbortController().signal);
    await channel.send(message('+15551234567'), new AbortController().signal);
    expect(sent).toEqual([
      {
        environment: 'prod',
        batchId: 'ndl_1_whatsapp',
        to: '+15551234567',
        headline: 'Your digest: 1 notification',
        details: 'Hello <b> (https://switchyard.test/searches/1)',
        text: 'Switchyard digest: 1 notification\n\n*Hello <b>*\nOne & two\nhttps://switchyard.test/searches/1',
      },
      expect.objectContaining({
        headline: 'Hello <b>',
        details: 'One & two https://switchyard.test/searches/1',
      }),
    ]);
  });

  it('makes template parameters WhatsApp accepts: one line, no runs of spaces, bounded, the link kept whole', () => {
    const long = message('+15551234567', {
      items: [
        {
          kind: 'system.test',
          title: 'Line one\n\tline two     spaced',
          body: `${'word '.repeat(400)}\n\nend`,
          url: 'https://switchyard.test/searches/1',
          createdAt: new Date(0),
          unsubscribeUrl: 'https://switchyard.test/u',
        },
      ],
    });
    const { headline, details } = renderWhatsAppTemplateParameters(long);
    expect(headline).toBe('Line one line two spaced');
    for (const value of [headline, details]) {
      expect(value).not.toMatch(/[\n\t]| {5}/);
    }
    expect(details.length).toBeLessThanOrEqual(700);
    expect(details.endsWith('… https://switchyard.test/searches/1')).toBe(true);
  });
});

describe('the SavedSearchResultsFound mapping', () => {
  const envelope = (payload: Partial<Record<string, unknown>> = {}) => ({
    id: 'event-1',
    name: 'SavedSearchResultsFound',
    version: 1,
    environment: 'prod' as const,
    flowId: null,
    publishedAt: '2026-12-03T08:00:00.000Z',
    payload: {
      searchId: 'search-1',
      userId: 'user-1',
      runId: 'run-1',
      name: 'Rust jobs',
      query: 'rust jobs berlin',
      newResults: 2,
      results: [
        { title: 'Rust engineer', url: 'https://jobs.example/1', snippet: 'a' },
        { title: 'Systems role', url: 'https://jobs.example/2', snippet: 'b' },
      ],
      channels: ['in_app'],
      ...payload,
    },
  });

  it("tells the search's owner how many results are new, with their titles and links", () => {
    const produced = eventNotificationMappings.SavedSearchResultsFound?.(envelope() as never);
    expect(produced).toEqual({
      userId: 'user-1',
      kind: 'saved-search.results',
      title: '2 new results for “Rust jobs”',
      body: 'Rust engineer\nhttps://jobs.example/1\n\nSystems role\nhttps://jobs.example/2',
      link: '/searches',
      data: { searchId: 'search-1', runId: 'run-1' },
    });
  });

  it("uses the model's summary when the run made one, and says 'result' for one", () => {
    const produced = eventNotificationMappings.SavedSearchResultsFound?.(
      envelope({ newResults: 1, summary: 'One new Rust role in Berlin.' }) as never,
    ) as { title: string; body: string };
    expect(produced.title).toBe('1 new result for “Rust jobs”');
    expect(produced.body).toBe('One new Rust role in Berlin.');
  });
});
