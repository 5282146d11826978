import type { SmtpConfig } from '@switchyard/core';
import type { Logger } from 'pino';
import { lazySmtpTransport } from '../infrastructure/smtp-transport';

export interface PasswordResetMail {
  to: string;
  name: string;
  url: string;
}

export interface ProjectInvitationMail {
  to: string;
  projectName: string;
  inviterName: string;
  role: string;
  /** The accept-invitation page, holding the token. */
  url: string;
  expiresAt: Date;
}

export interface Mailer {
  /** 'smtp' sends mail; 'log' writes the link to the log (no SMTP configured). */
  readonly delivery: 'smtp' | 'log';
  sendPasswordReset(mail: PasswordResetMail): Promise<void>;
  /** Never rejects: a failure is logged (the invitation exists; an admin can send a new one). */
  sendProjectInvitation(mail: ProjectInvitationMail): Promise<void>;
  close(): void;
}

function resetText(mail: PasswordResetMail): string {
  return [
    `Hello ${mail.name || mail.to},`,
    '',
    'Someone asked to reset the password of your Switchyard account. To choose a new one, open:',
    '',
    mail.url,
    '',
    'The link works once and expires in one hour. If you did not ask for this, ignore this mail;',
    'your password stays as it is.',
  ].join('\n');
}

function invitationText(mail: ProjectInvitationMail): string {
  return [
    'Hello,',
    '',
    `${mail.inviterName} invited you to the project "${mail.projectName}" on Switchyard, as ${mail.role}.`,
    'To accept or decline, open:',
    '',
    mail.url,
    '',
    `The invitation expires on ${mail.expiresAt.toUTCString()}. Sign in (or create an account) with this`,
    'email address to accept it. If you did not expect it, ignore this mail.',
  ].join('\n');
}

/**
 * Outgoing account mail. Without SMTP settings the reset link goes to the
 * log at warn level, so a single-user install can still recover its account.
 */
export function createMailer(smtp: SmtpConfig | null, logger: Logger): Mailer {
  if (!smtp) {
    return {
      delivery: 'log',
      async sendPasswordReset(mail) {
        logger.warn({ to: mail.to, url: mail.url }, 'SMTP is not configured: password reset link written here instead');
      },
      async sendProjectInvitation(mail) {
        logger.warn(
          { to: mail.to, url: mail.url, project: mail.projectName },
          'SMTP is not configured: project invitation link written here instead',
        );
      },
      close() {},
    };
  }
  const transport = lazySmtpTransport(smtp);
  return {
    delivery: 'smtp',
    async sendPasswordReset(mail) {
      try {
        await (await transport.get()).sendMail({
          from: smtp.from,
          to: mail.to,
          subject: 'Reset your Switchyard password',
          text: resetText(mail),
        });
        logger.info({ to: mail.to }, 'password reset mail sent');
      } catch (error) {
        // The client always hears "check your mail" (no account enumeration); the operator needs to know.
        logger.error({ err: error, to: mail.to, smtpHost: smtp.host }, 'sending the password reset mail failed');
      }
    },
    async sendProjectInvitation(mail) {
      try {
        await (await transport.get()).sendMail({
          from: smtp.from,
          to: mail.to,
          subject: `Invitation to the project "${mail.projectName}" on Switchyard`,
          text: invitationText(mail),
        });
        logger.info({ to: mail.to }, 'project invitation mail sent');
      } catch (error) {
        logger.error({ err: error, to: mail.to, smtpHost: smtp.host }, 'sending a project invitation mail failed');
      }
    },
    close() {
      transport.close();
    },
  };
}
