import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  /** MAIL FROM of the envelope. */
  from: string;
  /** RCPT TO addresses of the envelope. */
  to: string[];
  subject: string;
  /** The text body, transfer encoding undone. */
  text: string;
  /** The user the client authenticated as, if it did. */
  authenticatedAs: string | null;
  raw: string;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  /** smtp://127.0.0.1:PORT, ready for SMTP_URL. */
  url: string;
  mails: CapturedMail[];
  /** Resolves with the first mail (already received or still to come) that matches. */
  waitForMail(matches?: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const unfolded = text.replace(/=\r?\n/g, '');
  for (let index = 0; index < unfolded.length; index += 1) {
    const character = unfolded[index] ?? '';
    const hex = unfolded.slice(index + 1, index + 3);
    if (character === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(character, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A single-part text mail as nodemailer writes it: headers, blank line, body in its transfer encoding. */
function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : body;
  return { subject: headers.get('subject') ?? '', text: text.replace(/\r\n/g, '\n') };
}

/**
 * A real SMTP server on 127.0.0.1 and an ephemeral port that accepts every
 * mail (and any credentials, without TLS) and keeps it for the test to read.
 */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const mails: CapturedMail[] = [];
  const waiters: Array<{ matches: (mail: CapturedMail) => boolean; resolve: (mail: CapturedMail) => void }> = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'unknown' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelopeFrom = session.envelope.mailFrom;
        const mail: CapturedMail = {
          from: envelopeFrom ? envelopeFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          authenticatedAs: typeof session.user === 'string' ? session.user : null,
          raw,
          ...parseMail(raw),
        };
        mails.push(mail);
        for (const waiter of waiters.splice(0)) {
          if (waiter.matches(mail)) waiter.resolve(mail);
          else waiters.push(waiter);
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    url: `smtp://127.0.0.1:${address.port}`,
    mails,
    waitForMail(matches = () => true, timeoutMs = 5000) {
      const existing = mails.find(matches);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching mail within ${timeoutMs} ms (${mails.length} received)`)),
          timeoutMs,
        );
        waiters.push({
          matches,
          resolve: (mail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
