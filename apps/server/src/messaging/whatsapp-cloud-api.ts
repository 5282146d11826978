import { SwitchyardError } from '@switchyard/core';
import { parseRetryAfter } from '@switchyard/providers';

/**
 * The WhatsApp Business Cloud API (Meta's Graph API), as Switchyard uses it:
 *
 * - `POST {base}/{version}/{phone-number-id}/messages` with `Authorization: Bearer <token>` and
 *   `{messaging_product: "whatsapp", recipient_type: "individual", to, type, <type>: {...}}`; it answers
 *   `{messaging_product, contacts: [{input, wa_id}], messages: [{id: "wamid…"}]}`.
 * - `POST {base}/{version}/{phone-number-id}/media` (multipart: `messaging_product`, `type`, `file`) → `{id}`.
 * - `GET {base}/{version}/{media-id}` → `{url, mime_type, sha256, file_size, id}`; the `url` is fetched
 *   with the same Bearer token within minutes.
 *
 * Failures come as `{error: {message, type, code, error_subcode?, error_data?: {details}, fbtrace_id}}`;
 * {@link graphError} maps their `code` to our errors.
 */
export interface WhatsAppCloudApiOptions {
  /** https://graph.facebook.com, or a fake in tests. */
  readonly baseURL: string;
  readonly apiVersion: string;
  readonly phoneNumberId: string;
  readonly accessToken: string;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** A media object by URL (`link`) or by an uploaded media id (`id`). */
export interface MediaReference {
  readonly link?: string;
  readonly id?: string;
  readonly caption?: string;
  readonly filename?: string;
}

export interface TemplateContent {
  readonly name: string;
  readonly language: { readonly code: string };
  /** The Cloud API's components as given (header/body/button parameters). */
  readonly components?: readonly unknown[];
}

/** One outbound message as the Cloud API's body has it, without `messaging_product`, `recipient_type` and `to`. */
export type OutboundContent =
  | { readonly type: 'text'; readonly text: { readonly body: string; readonly preview_url?: boolean } }
  | { readonly type: 'template'; readonly template: TemplateContent }
  | { readonly type: 'image'; readonly image: MediaReference }
  | { readonly type: 'document'; readonly document: MediaReference }
  | { readonly type: 'audio'; readonly audio: MediaReference };

export interface SentMessage {
  /** WhatsApp's message id; delivery statuses refer to it. */
  readonly wamid: string;
  /** The recipient's WhatsApp id, when the API says it. */
  readonly waId: string | null;
}

export interface MediaInfo {
  readonly url: string;
  readonly mimeType: string;
  readonly fileSize: number | null;
}

export interface WhatsAppCloudApi {
  readonly phoneNumberId: string;
  send(to: string, content: OutboundContent, signal: AbortSignal): Promise<SentMessage>;
  uploadMedia(file: { bytes: Buffer; mimeType: string; fileName: string }, signal: AbortSignal): Promise<string>;
  mediaInfo(mediaId: string, signal: AbortSignal): Promise<MediaInfo>;
  /** The bytes behind a media URL from {@link mediaInfo}; only Meta's hosts (or the configured base) are fetched. */
  downloadMedia(url: string, signal: AbortSignal, maxBytes: number): Promise<Buffer>;
}

/** The Cloud API's error codes Switchyard tells apart (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes). */
export const graphErrorCodes = {
  accessTokenExpired: 190,
  apiPermission: 10,
  apiPermissionAlt: 200,
  apiMethod: 3,
  apiTooManyCalls: 4,
  rateLimitHit: 130429,
  spamRateLimit: 131048,
  pairRateLimit: 131056,
  accountRateLimit: 80007,
  reEngagement: 131047,
  undeliverable: 131026,
  recipientNotAllowed: 131030,
  genericUser: 131000,
  serviceUnavailable: 131016,
  unknownApi: 1,
  apiService: 2,
  templateParameterCount: 132000,
  templateNotFound: 132001,
  templateTextTooLong: 132005,
  templateFormatPolicy: 132007,
  templateParameterFormat: 132012,
  templatePaused: 132015,
  templateDisabled: 132016,
} as const;

const rateLimitCodes = new Set<number>([
  graphErrorCodes.apiTooManyCalls,
  graphErrorCodes.rateLimitHit,
  graphErrorCodes.spamRateLimit,
  graphErrorCodes.pairRateLimit,
  graphErrorCodes.accountRateLimit,
]);
const credentialCodes = new Set<number>([
  graphErrorCodes.accessTokenExpired,
  graphErrorCodes.apiPermission,
  graphErrorCodes.apiPermissionAlt,
  graphErrorCodes.apiMethod,
]);
const transientCodes = new Set<number>([
  graphErrorCodes.genericUser,
  graphErrorCodes.serviceUnavailable,
  graphErrorCodes.unknownApi,
  graphErrorCodes.apiService,
]);
const recipientCodes = new Set<number>([graphErrorCodes.undeliverable, graphErrorCodes.recipientNotAllowed]);
const templateCodes = new Set<number>([
  graphErrorCodes.templateParameterCount,
  graphErrorCodes.templateNotFound,
  graphErrorCodes.templateTextTooLong,
  graphErrorCodes.templateFormatPolicy,
  graphErrorCodes.templateParameterFormat,
  graphErrorCodes.templatePaused,
  graphErrorCodes.templateDisabled,
]);

/** The message a customer-service-window refusal carries, the same whether we or WhatsApp noticed. */
export const outsideWindowMessage =
  'The recipient has not written to this number in the last 24 hours, so WhatsApp only accepts a template message: send type "template" with an approved template instead of free-form text';

interface GraphErrorBody {
  message?: unknown;
  code?: unknown;
  error_data?: { details?: unknown };
}

/** A Graph API (or webhook) error as ours: a stable code, whether a retry may help, and WhatsApp's own code. */
export function graphError(
  httpStatus: number | null,
  error: GraphErrorBody | undefined,
  retryAfterSeconds?: number,
): SwitchyardError {
  const code = typeof error?.code === 'number' ? error.code : Number(error?.code ?? Number.NaN);
  const detailText = typeof error?.error_data?.details === 'string' ? error.error_data.details : '';
  const messageText = typeof error?.message === 'string' ? error.message : '';
  const reason = (detailText || messageText).slice(0, 300);
  const tag = Number.isFinite(code) ? ` (WhatsApp error ${code})` : httpStatus ? ` (HTTP ${httpStatus})` : '';
  const details = { whatsapp_code: Number.isFinite(code) ? code : null };
  if (code === graphErrorCodes.reEngagement) {
    return new SwitchyardError('SY_ERR_OUTSIDE_SERVICE_WINDOW', `${outsideWindowMessage}${tag}`, {
      details,
      isRetryable: false,
    });
  }
  if (recipientCodes.has(code)) {
    return new SwitchyardError(
      'SY_ERR_RECIPIENT_UNAVAILABLE',
      `WhatsApp cannot deliver to this recipient (not on WhatsApp, or not allowed for this number)${tag}`,
      { details, isRetryable: false },
    );
  }
  if (templateCodes.has(code)) {
    return new SwitchyardError(
      'SY_ERR_WHATSAPP_TEMPLATE_REJECTED',
      `WhatsApp refused the template: it does not exist in that language, is not approved, paused or disabled, or its parameters do not fit${tag}${reason ? `: ${reason}` : ''}`,
      { details, isRetryable: false },
    );
  }
  if (rateLimitCodes.has(code) || httpStatus === 429) {
    return new SwitchyardError('SY_ERR_UPSTREAM_RATE_LIMITED', `WhatsApp is rate limiting this number${tag}`, {
      details,
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    });
  }
  if (credentialCodes.has(code) || httpStatus === 401 || httpStatus === 403) {
    return new SwitchyardError(
      'SY_ERR_UPSTREAM_AUTH',
      `WhatsApp refused Switchyard's access token (expired, revoked or without whatsapp_business_messaging)${tag}; an operator must renew it`,
      { details, isRetryable: false },
    );
  }
  if (transientCodes.has(code) || (httpStatus !== null && httpStatus >= 500)) {
    return new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', `WhatsApp is unavailable${tag}`, { details });
  }
  return new SwitchyardError(
    'SY_ERR_UPSTREAM_BAD_REQUEST',
    `WhatsApp refused the message${tag}${reason ? `: ${reason}` : ''}`,
    { details, isRetryable: false },
  );
}

/** Meta's hosts that serve media downloads; anything else must be the configured Graph base (a fake, a proxy). */
const mediaHosts = [/\.fbsbx\.com$/, /\.facebook\.com$/, /\.whatsapp\.net$/, /\.fbcdn\.net$/];

function mediaUrlAllowed(url: URL, base: URL): boolean {
  if (url.origin === base.origin) return true;
  return url.protocol === 'https:' && mediaHosts.some((pattern) => pattern.test(url.hostname));
}

export function createWhatsAppCloudApi(options: WhatsAppCloudApiOptions): WhatsAppCloudApi {
  const base = options.baseURL.replace(/\/+$/, '');
  const baseUrl = new URL(base);
  const fetchImpl = options.fetch ?? fetch;
  const authorization = `Bearer ${options.accessToken}`;

  async function call(
    path: string,
    init: { method: 'GET' | 'POST'; body?: BodyInit; headers?: Record<string, string> },
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    try {
      response = await fetchImpl(`${base}/${options.apiVersion}/${path}`, {
        method: init.method,
        headers: { authorization, accept: 'application/json', ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: AbortSignal.any([signal, deadline]),
        redirect: 'error',
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      throw new SwitchyardError(
        'SY_ERR_UPSTREAM_UNAVAILABLE',
        `WhatsApp is unavailable: ${deadline.aborted ? `no answer within ${options.timeoutMs} ms` : 'not reachable'}`,
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const retryAfter = parseRetryAfter({ 'retry-after': response.headers.get('retry-after') ?? undefined });
      const error = (body as { error?: GraphErrorBody } | undefined)?.error;
      throw graphError(response.status, error, retryAfter === undefined ? undefined : Math.max(1, retryAfter));
    }
    if (body === null || typeof body !== 'object') {
      throw new SwitchyardError('SY_ERR_UPSTREAM', 'WhatsApp answered with something that is not a JSON object');
    }
    return body as Record<string, unknown>;
  }

  return {
    phoneNumberId: options.phoneNumberId,

    async send(to, content, signal) {
      const body = await call(
        `${encodeURIComponent(options.phoneNumberId)}/messages`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            messaging_product: 'whatsapp',
            recipient_type: 'individual',
            to: to.replace(/^\+/, ''),
            ...content,
          }),
        },
        signal,
      );
      const messages = body.messages as Array<{ id?: unknown }> | undefined;
      const wamid = messages?.[0]?.id;
      if (typeof wamid !== 'string' || wamid === '') {
        throw new SwitchyardError('SY_ERR_UPSTREAM', 'WhatsApp accepted the message but gave no message id');
      }
      const contacts = body.contacts as Array<{ wa_id?: unknown }> | undefined;
      const waId = contacts?.[0]?.wa_id;
      return { wamid, waId: typeof waId === 'string' ? waId : null };
    },

    async uploadMedia(file, signal) {
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', file.mimeType);
      form.set('file', new Blob([new Uint8Array(file.bytes)], { type: file.mimeType }), file.fileName);
      const body = await call(
        `${encodeURIComponent(options.phoneNumberId)}/media`,
        { method: 'POST', body: form },
        signal,
      );
      if (typeof body.id !== 'string') throw new SwitchyardError('SY_ERR_UPSTREAM', 'WhatsApp gave no media id');
      return body.id;
    },

    async mediaInfo(mediaId, signal) {
      const body = await call(encodeURIComponent(mediaId), { method: 'GET' }, signal);
      if (typeof body.url !== 'string') throw new SwitchyardError('SY_ERR_UPSTREAM', 'WhatsApp gave no media URL');
      return {
        url: body.url,
        mimeType: typeof body.mime_type === 'string' ? body.mime_type : 'application/octet-stream',
        fileSize: typeof body.file_size === 'number' ? body.file_size : null,
      };
    },

    async downloadMedia(url, signal, maxBytes) {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new SwitchyardError('SY_ERR_UPSTREAM', 'WhatsApp gave a media URL that is not a URL');
      }
      if (!mediaUrlAllowed(target, baseUrl)) {
        throw new SwitchyardError('SY_ERR_UNSAFE_URL', 'WhatsApp gave a media URL outside its own hosts');
      }
      const deadline = AbortSignal.timeout(options.timeoutMs);
      let response: Response;
      try {
        response = await fetchImpl(target, {
          headers: { authorization },
          signal: AbortSignal.any([signal, deadline]),
          redirect: 'error',
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        throw new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', 'WhatsApp media download failed', { cause: error });
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw graphError(response.status, undefined);
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(declared) && declared > maxBytes) {
        await response.body?.cancel().catch(() => {});
        throw new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', `The media is larger than ${maxBytes} bytes`);
      }
      const parts: Uint8Array[] = [];
      let total = 0;
      const reader = response.body?.getReader();
      while (reader) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', `The media is larger than ${maxBytes} bytes`);
        }
        parts.push(value);
      }
      return Buffer.concat(parts);
    },
  };
}
