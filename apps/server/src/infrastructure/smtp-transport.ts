import type { SmtpConfig } from '@switchyard/core';
import type { Transporter } from 'nodemailer';

export interface LazySmtpTransport {
  /** The nodemailer transport, created (and nodemailer loaded) on the first mail. */
  get(): Promise<Transporter>;
  close(): void;
}

/** nodemailer (~0.5 MB of code) loads on the first mail sent, not at every start. */
export function lazySmtpTransport(smtp: SmtpConfig): LazySmtpTransport {
  let transport: Promise<Transporter> | null = null;
  return {
    get() {
      transport ??= import('nodemailer').then(({ createTransport }) =>
        createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000,
        }),
      );
      return transport;
    },
    close() {
      void transport?.then(
        (open) => open.close(),
        () => {},
      );
    },
  };
}
