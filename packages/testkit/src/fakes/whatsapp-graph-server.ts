import { createHmac, randomBytes } from 'node:crypto';
import { readAudioForm } from './audio-forms';
import { type FakeExchange, type FakeUpstreamServer, startFakeHttpServer } from './fake-http-server';

/**
 * Meta's Graph API as the WhatsApp Business Cloud API uses it, for tests:
 *
 * - `POST /{version}/{phone-number-id}/messages` (Bearer token of that number) → `{messaging_product,
 *   contacts: [{input, wa_id}], messages: [{id: "wamid.…"}]}`; refusals are Graph errors
 *   `{error: {message, type, code, error_data: {messaging_product, details}, fbtrace_id}}`: 190 for a bad
 *   token (HTTP 401), 131047 for free-form text outside the 24-hour window, 131026 for a recipient who
 *   is not on WhatsApp, 132001/132000 for an unknown template or wrong parameter count.
 * - `POST /{version}/{phone-number-id}/media` (multipart `messaging_product`, `type`, `file`) → `{id}`.
 * - `GET /{version}/{media-id}` → `{messaging_product, url, mime_type, sha256, file_size, id}`; the url
 *   (on this server) answers the bytes to the same Bearer token.
 *
 * Webhook deliveries are built with {@link whatsappTextMessage} and friends and signed for real with
 * {@link signWhatsAppPayload} (X-Hub-Signature-256: HMAC-SHA256 of the raw body, keyed with the app secret).
 */
export interface FakeWhatsAppGraphOptions {
  /** phone-number id → its access token. */
  readonly numbers: Readonly<Record<string, string>>;
  readonly apiVersion?: string;
  /** Approved templates: name → how many body parameters ({{1}}…) each takes. */
  readonly templates?: Readonly<Record<string, number>>;
  /** Whether free-form messages need the recipient to be in {@link FakeWhatsAppGraph.openWindow}'s set. Default true. */
  readonly enforceWindow?: boolean;
}

export interface SentWhatsAppMessage {
  readonly phoneNumberId: string;
  readonly wamid: string;
  /** The request body as the client sent it. */
  readonly body: Record<string, unknown>;
}

export interface FakeWhatsAppGraph extends FakeUpstreamServer {
  /** Messages accepted, in order. */
  readonly sent: SentWhatsAppMessage[];
  /** Recipients (digits, no +) inside the 24-hour window. */
  openWindow(waId: string): void;
  /** Recipients (digits) that are not on WhatsApp. */
  markNotOnWhatsApp(waId: string): void;
  /** The next `count` sends fail with this Graph error (then sending works again). */
  failNextSends(count: number, status: number, code: number, message?: string): void;
  /** Media the fake holds (inbound voice notes and images); returns its media id. */
  addMedia(bytes: Buffer, mimeType: string): string;
  /** Bytes uploaded through the media endpoint, by id. */
  readonly uploads: Map<string, { bytes: Buffer; mimeType: string; phoneNumberId: string }>;
  /** Resolves once `count` messages were accepted (no polling, no sleeps). */
  waitForSent(count: number): Promise<SentWhatsAppMessage[]>;
}

function graphErrorBody(code: number, message: string, details?: string) {
  return {
    error: {
      message,
      type: code === 190 ? 'OAuthException' : 'OAuthException',
      code,
      ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
      fbtrace_id: `A${randomBytes(8).toString('hex')}`,
    },
  };
}

function json(exchange: FakeExchange, status: number, body: unknown): void {
  exchange.response.writeHead(status, { 'content-type': 'application/json' });
  exchange.response.end(JSON.stringify(body));
}

const newWamid = () => `wamid.${randomBytes(24).toString('base64url')}`;

export async function startFakeWhatsAppGraph(options: FakeWhatsAppGraphOptions): Promise<FakeWhatsAppGraph> {
  const version = options.apiVersion ?? 'v21.0';
  const sent: SentWhatsAppMessage[] = [];
  const windows = new Set<string>();
  const notOnWhatsApp = new Set<string>();
  const failures: Array<{ status: number; code: number; message: string }> = [];
  const media = new Map<string, { bytes: Buffer; mimeType: string }>();
  const uploads = new Map<string, { bytes: Buffer; mimeType: string; phoneNumberId: string }>();
  const waiters: Array<{ count: number; resolve: (messages: SentWhatsAppMessage[]) => void }> = [];
  let baseUrl = '';

  const tokenOk = (exchange: FakeExchange, phoneNumberId: string | null): boolean => {
    const header = String(exchange.record.headers.authorization ?? '');
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const valid = phoneNumberId
      ? options.numbers[phoneNumberId] === token
      : Object.values(options.numbers).includes(token);
    if (!valid) {
      json(
        exchange,
        401,
        graphErrorBody(190, 'Error validating access token: Session has expired or the token is invalid.'),
      );
    }
    return valid;
  };

  const accept = (phoneNumberId: string, body: Record<string, unknown>) => {
    const message = { phoneNumberId, wamid: newWamid(), body };
    sent.push(message);
    for (const waiter of [...waiters]) {
      if (sent.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve([...sent]);
      }
    }
    return message;
  };

  function sendMessage(exchange: FakeExchange, phoneNumberId: string) {
    if (!(phoneNumberId in options.numbers)) {
      return json(
        exchange,
        400,
        graphErrorBody(100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`),
      );
    }
    if (!tokenOk(exchange, phoneNumberId)) return;
    const body = exchange.record.body as Record<string, unknown> | undefined;
    if (body?.messaging_product !== 'whatsapp' || typeof body.to !== 'string') {
      return json(exchange, 400, graphErrorBody(100, '(#100) The parameter messaging_product is required.'));
    }
    const failure = failures.shift();
    if (failure) return json(exchange, failure.status, graphErrorBody(failure.code, failure.message));
    const to = body.to.replace(/\D/g, '');
    const type = body.type ?? 'text';
    if (notOnWhatsApp.has(to)) {
      return json(
        exchange,
        400,
        graphErrorBody(131026, '(#131026) Message Undeliverable.', 'Recipient is not a valid WhatsApp user'),
      );
    }
    if (type === 'template') {
      const template = body.template as { name?: unknown; language?: { code?: unknown }; components?: unknown[] };
      const expected = options.templates?.[String(template?.name)];
      if (expected === undefined || typeof template?.language?.code !== 'string') {
        return json(exchange, 404, graphErrorBody(132001, '(#132001) Template name does not exist in the translation'));
      }
      const bodyComponent = (template.components ?? []).find(
        (component) => (component as { type?: unknown }).type === 'body',
      ) as { parameters?: unknown[] } | undefined;
      if ((bodyComponent?.parameters?.length ?? 0) !== expected) {
        return json(
          exchange,
          400,
          graphErrorBody(132000, '(#132000) Number of parameters does not match the expected number of params'),
        );
      }
    } else if (options.enforceWindow !== false && !windows.has(to)) {
      return json(
        exchange,
        400,
        graphErrorBody(
          131047,
          '(#131047) Re-engagement message',
          'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        ),
      );
    } else if (type === 'text') {
      const text = body.text as { body?: unknown } | undefined;
      if (typeof text?.body !== 'string' || text.body.length > 4096) {
        return json(exchange, 400, graphErrorBody(100, "(#100) Param text['body'] must be at most 4096 characters"));
      }
    } else if (type === 'image' || type === 'document' || type === 'audio') {
      const object = body[type] as { link?: unknown; id?: unknown } | undefined;
      if (!object || (object.link === undefined && object.id === undefined)) {
        return json(exchange, 400, graphErrorBody(100, `(#100) Param ${type} must have a link or an id`));
      }
      if (typeof object.id === 'string' && !uploads.has(object.id) && !media.has(object.id)) {
        return json(exchange, 400, graphErrorBody(131053, '(#131053) Media upload error', 'Unknown media id'));
      }
    } else {
      return json(exchange, 400, graphErrorBody(131051, '(#131051) Unsupported message type'));
    }
    const message = accept(phoneNumberId, body);
    json(exchange, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: to }],
      messages: [{ id: message.wamid, ...(type === 'template' ? { message_status: 'accepted' } : {}) }],
    });
  }

  async function uploadMedia(exchange: FakeExchange, phoneNumberId: string) {
    if (!tokenOk(exchange, phoneNumberId)) return;
    const form = await readAudioForm(exchange.record);
    if (!form?.file || form.fields.messaging_product?.[0] !== 'whatsapp') {
      return json(exchange, 400, graphErrorBody(100, '(#100) The parameter messaging_product is required.'));
    }
    const id = String(10 ** 15 + uploads.size + media.size + 1);
    uploads.set(id, { bytes: form.file.bytes, mimeType: form.fields.type?.[0] ?? form.file.type, phoneNumberId });
    json(exchange, 200, { id });
  }

  const server = await startFakeHttpServer(
    async (exchange) => {
      const url = new URL(exchange.record.path, 'http://fake');
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] === 'media-download' && parts[1]) {
        if (!tokenOk(exchange, null)) return;
        const item = media.get(parts[1]) ?? uploads.get(parts[1]);
        if (!item) return json(exchange, 404, graphErrorBody(100, 'Not found'));
        exchange.response.writeHead(200, { 'content-type': item.mimeType, 'content-length': item.bytes.length });
        exchange.response.end(item.bytes);
        return;
      }
      if (parts[0] !== version) return json(exchange, 400, graphErrorBody(2635, `Unknown API version ${parts[0]}`));
      const method = exchange.record.method;
      if (method === 'POST' && parts.length === 3 && parts[2] === 'messages')
        return sendMessage(exchange, parts[1] ?? '');
      if (method === 'POST' && parts.length === 3 && parts[2] === 'media') return uploadMedia(exchange, parts[1] ?? '');
      if (method === 'GET' && parts.length === 2) {
        if (!tokenOk(exchange, null)) return;
        const id = parts[1] ?? '';
        const item = media.get(id) ?? uploads.get(id);
        if (!item)
          return json(
            exchange,
            400,
            graphErrorBody(100, `Unsupported get request. Object with ID '${id}' does not exist`),
          );
        return json(exchange, 200, {
          messaging_product: 'whatsapp',
          url: `${baseUrl}/media-download/${id}`,
          mime_type: item.mimeType,
          sha256: createHmac('sha256', '').update(item.bytes).digest('hex'),
          file_size: item.bytes.length,
          id,
        });
      }
      json(exchange, 400, graphErrorBody(100, 'Unsupported request'));
    },
    (exchange, behaviour) =>
      json(exchange, behaviour.status, behaviour.body ?? graphErrorBody(131000, 'Something went wrong')),
  );
  baseUrl = server.url;

  return Object.assign(server, {
    sent,
    uploads,
    openWindow: (waId: string) => void windows.add(waId.replace(/\D/g, '')),
    markNotOnWhatsApp: (waId: string) => void notOnWhatsApp.add(waId.replace(/\D/g, '')),
    failNextSends(count: number, status: number, code: number, message = 'Fake failure') {
      for (let index = 0; index < count; index++) failures.push({ status, code, message });
    },
    addMedia(bytes: Buffer, mimeType: string) {
      const id = String(2 * 10 ** 15 + media.size + 1);
      media.set(id, { bytes, mimeType });
      return id;
    },
    waitForSent(count: number) {
      if (sent.length >= count) return Promise.resolve([...sent]);
      return new Promise<SentWhatsAppMessage[]>((resolve) => waiters.push({ count, resolve }));
    },
  });
}

/** `sha256=<hex>`: the X-Hub-Signature-256 Meta sends with a delivery. */
export function signWhatsAppPayload(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Posts a delivery to a webhook URL the way Meta does: the raw JSON and its signature. */
export async function deliverWhatsAppWebhook(
  url: string,
  payload: unknown,
  appSecret: string,
  options: { signature?: string } = {},
): Promise<Response> {
  const raw = JSON.stringify(payload);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': options.signature ?? signWhatsAppPayload(raw, appSecret),
      'user-agent': 'facebookexternalua',
    },
    body: raw,
  });
}

interface DeliveryContext {
  readonly phoneNumberId: string;
  readonly displayPhoneNumber?: string;
  readonly businessAccountId?: string;
}

function delivery(context: DeliveryContext, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: context.businessAccountId ?? '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: context.displayPhoneNumber ?? '15550783881',
                phone_number_id: context.phoneNumberId,
              },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

const seconds = (at: Date | undefined) => String(Math.floor((at ?? new Date()).getTime() / 1000));

export interface InboundOptions extends DeliveryContext {
  /** The sender's WhatsApp id (digits). */
  readonly from: string;
  readonly id?: string;
  readonly name?: string;
  readonly at?: Date;
}

function inbound(options: InboundOptions, message: Record<string, unknown>) {
  return delivery(options, {
    contacts: [{ profile: { name: options.name ?? 'Test User' }, wa_id: options.from }],
    messages: [{ from: options.from, id: options.id ?? newWamid(), timestamp: seconds(options.at), ...message }],
  });
}

/** A delivery with one inbound text message. */
export function whatsappTextMessage(options: InboundOptions & { text: string }) {
  return inbound(options, { type: 'text', text: { body: options.text } });
}

/** A delivery with one voice note (media id from {@link FakeWhatsAppGraph.addMedia}). */
export function whatsappVoiceMessage(options: InboundOptions & { mediaId: string }) {
  return inbound(options, {
    type: 'audio',
    audio: { mime_type: 'audio/ogg; codecs=opus', sha256: 'fake', id: options.mediaId, voice: true },
  });
}

/** A delivery with one picture. */
export function whatsappImageMessage(options: InboundOptions & { mediaId: string; caption?: string }) {
  return inbound(options, {
    type: 'image',
    image: {
      mime_type: 'image/jpeg',
      sha256: 'fake',
      id: options.mediaId,
      ...(options.caption ? { caption: options.caption } : {}),
    },
  });
}

/** A delivery with one status callback (sent, delivered, read, failed). */
export function whatsappStatusUpdate(
  options: DeliveryContext & {
    wamid: string;
    status: 'sent' | 'delivered' | 'read' | 'failed';
    recipient: string;
    at?: Date;
    error?: { code: number; title: string; details?: string };
  },
) {
  return delivery(options, {
    statuses: [
      {
        id: options.wamid,
        status: options.status,
        timestamp: seconds(options.at),
        recipient_id: options.recipient,
        ...(options.status === 'failed' || options.error
          ? {
              errors: [
                {
                  code: options.error?.code ?? 131000,
                  title: options.error?.title ?? 'Something went wrong',
                  message: options.error?.title ?? 'Something went wrong',
                  error_data: { details: options.error?.details ?? options.error?.title ?? 'failed' },
                },
              ],
            }
          : {
              conversation: { id: randomBytes(16).toString('hex'), origin: { type: 'service' } },
              pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
            }),
      },
    ],
  });
}
