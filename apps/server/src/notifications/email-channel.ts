import { type SmtpConfig, SwitchyardError } from '@switchyard/core';
import { markUnrecoverable } from '@switchyard/jobs';
import { lazySmtpTransport } from '../infrastructure/smtp-transport';
import { renderEmail } from './email-templates';
import type { OutboundChannel } from './outbound-channel';

/** nodemailer's errors carry the SMTP reply code when the server answered. */
interface SmtpFailure extends Error {
  responseCode?: number;
  code?: string;
}

/**
 * Notification mail over SMTP, with the same settings as password-reset mail (SMTP_URL / `smtp:`).
 * A server that cannot be reached or answers 4xx is an outage (retried); a 5xx reply refuses this mail
 * for good (dead-lettered at once, where an admin can replay it).
 */
export function createEmailChannel(smtp: SmtpConfig | null): OutboundChannel {
  if (!smtp) {
    return {
      name: 'email',
      available: false,
      async send() {
        throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'Email is not configured (SMTP_URL)');
      },
      close() {},
    };
  }
  const transport = lazySmtpTransport(smtp);
  return {
    name: 'email',
    available: true,
    async send(message) {
      const mail = renderEmail(message);
      try {
        await (await transport.get()).sendMail({
          from: smtp.from,
          to: message.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          ...(mail.listUnsubscribe
            ? {
                list: { unsubscribe: mail.listUnsubscribe },
                headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
              }
            : {}),
        });
      } catch (error) {
        const failure = error as SmtpFailure;
        const reply = failure.responseCode;
        // The reply text may quote the recipient; the code says enough and leaks nothing.
        const wrapped = new SwitchyardError(
          'SY_ERR_DEPENDENCY_UNAVAILABLE',
          reply
            ? `The mail server answered ${reply}`
            : `The mail server could not be reached (${failure.code ?? 'network error'})`,
        );
        throw reply !== undefined && reply >= 500 ? markUnrecoverable(wrapped) : wrapped;
      }
    },
    close() {
      transport.close();
    },
  };
}
