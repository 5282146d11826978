import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  /** MAIL FROM of the envelope. */
  from: string;
  /** RCPT TO addresses of the envelope. */
  to: string[];
  subject: string;
  /** The text body (the text/plain part of a multipart mail), transfer encoding undone. */
  text: string;
  /** The text/html part of a multipart mail, or null. */
  html: string | null;
  /** Every header of the mail (lower-case names; folded lines joined). */
  headers: Map<string, string>;
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
  /**
   * false: the server answers every new connection with 421 (service not available), as a mail
   * server that is down for maintenance does, until set back to true.
   */
  setAvailable(available: boolean): void;
  /** Connections refused with 421 so far. */
  readonly refused: number;
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

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : body;
  return text.replace(/\r\n/g, '\n');
}

/** The parts of a multipart body (one level deep is what nodemailer writes for text + HTML). */
function multipartParts(contentType: string, body: string): Array<{ headers: Map<string, string>; body: string }> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return [];
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((part) => !part.startsWith('--'))
    .map((part) => splitHead(part.replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
}

/** A mail as nodemailer writes it: a single text part, or multipart/alternative with text and HTML. */
function parseMail(raw: string): { subject: string; text: string; html: string | null; headers: Map<string, string> } {
  const { headers, body } = splitHead(raw);
  const subject = headers.get('subject') ?? '';
  const contentType = headers.get('content-type') ?? 'text/plain';
  if (!/^multipart\//i.test(contentType)) return { subject, text: decodeBody(headers, body), html: null, headers };
  let text = '';
  let html: string | null = null;
  for (const part of multipartParts(contentType, body)) {
    const type = part.headers.get('content-type') ?? 'text/plain';
    if (/^text\/plain/i.test(type)) text = decodeBody(part.headers, part.body);
    else if (/^text\/html/i.test(type)) html = decodeBody(part.headers, part.body);
  }
  return { subject, text, html, headers };
}

/**
 * A real SMTP server on 127.0.0.1 and an ephemeral port that accepts every
 * mail (and any credentials, without TLS) and keeps it for the test to read.
 */
export interface TestSmtpServerOptions {
  /** Recipients refused with 550 (mailbox unavailable), as a server that will never take them answers. */
  refuseRecipient?: (address: string) => boolean;
}

export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const mails: CapturedMail[] = [];
  let available = true;
  let refused = 0;
  const waiters: Array<{ matches: (mail: CapturedMail) => boolean; resolve: (mail: CapturedMail) => void }> = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      if (available) return callback();
      refused += 1;
      callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.refuseRecipient?.(address.address)) {
        return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      }
      callback();
    },
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
    setAvailable(value) {
      available = value;
    },
    get refused() {
      return refused;
    },
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
