/**
 * One error type for the whole codebase. Every failure a client can see has a
 * stable `SY_ERR_*` code, an HTTP status and whether retrying may help; the
 * server's single error handler turns it into a JSON body.
 */
export const errorCodes = {
  SY_ERR_INVALID_JSON: 400,
  SY_ERR_VALIDATION: 400,
  /** Text holding U+0000 or an unpaired surrogate, which cannot be stored or encoded as UTF-8. */
  SY_ERR_INVALID_TEXT: 400,
  SY_ERR_INVALID_MULTIPART: 400,
  /** An upload to the audio API that is not a container Switchyard recognises (WAV, MP3, Ogg, FLAC, WebM, MP4). */
  SY_ERR_UNSUPPORTED_AUDIO: 400,
  SY_ERR_UPSTREAM_BAD_REQUEST: 400,
  /** An outbound URL Switchyard refuses to reach: not http(s), or a loopback, private, link-local or metadata address. */
  SY_ERR_UNSAFE_URL: 400,
  /** A gift-finder profile (links or text) without `consent: true`. */
  SY_ERR_GIFT_PROFILE_CONSENT_REQUIRED: 400,
  SY_ERR_UNAUTHORIZED: 401,
  SY_ERR_INVALID_API_KEY: 401,
  SY_ERR_API_KEY_REVOKED: 401,
  SY_ERR_API_KEY_ENV_MISMATCH: 401,
  /** A plan webhook whose signature or timestamp does not verify. */
  SY_ERR_INVALID_SIGNATURE: 401,
  /** The caller's plan budget (tokens or spend) for the period is used up; details say when it resets. */
  SY_ERR_BUDGET_EXCEEDED: 402,
  SY_ERR_FORBIDDEN: 403,
  SY_ERR_ENVIRONMENT_FORBIDDEN: 403,
  SY_ERR_MODEL_NOT_ALLOWED: 403,
  SY_ERR_NOT_FOUND: 404,
  SY_ERR_APP_NOT_FOUND: 404,
  SY_ERR_SKILL_NOT_FOUND: 404,
  SY_ERR_FOCUS_NOT_FOUND: 404,
  /** A chat with apps took more model turns than `apps.max_steps`. */
  SY_ERR_SKILL_STEPS_EXCEEDED: 422,
  SY_ERR_MODEL_NOT_FOUND: 404,
  /** No gift-finder session of this caller in this environment has that id. */
  SY_ERR_GIFT_SESSION_NOT_FOUND: 404,
  SY_ERR_SETTING_NOT_FOUND: 404,
  SY_ERR_METHOD_NOT_ALLOWED: 405,
  SY_ERR_CONFLICT: 409,
  /** A project invitation that was accepted, declined or revoked already. */
  SY_ERR_INVITATION_CLOSED: 409,
  /** A project invitation past its expiry time. */
  SY_ERR_INVITATION_EXPIRED: 410,
  /** A project invitation opened by a signed-in user whose email is not the invited one. */
  SY_ERR_INVITATION_EMAIL_MISMATCH: 403,
  /** The gift-finder session is not waiting for an answer. */
  SY_ERR_GIFT_SESSION_STATE: 409,
  SY_ERR_IDEMPOTENCY_MISMATCH: 422,
  /** WhatsApp: a free-form message to someone who has not written in the last 24 hours; a template is needed. */
  SY_ERR_OUTSIDE_SERVICE_WINDOW: 422,
  /** WhatsApp: the recipient cannot get the message (not on WhatsApp, not in the test number's allowed list). */
  SY_ERR_RECIPIENT_UNAVAILABLE: 422,
  /** WhatsApp: the template does not exist in that language, is paused or disabled, or its parameters do not fit. */
  SY_ERR_WHATSAPP_TEMPLATE_REJECTED: 422,
  SY_ERR_FILE_TOO_COMPLEX: 422,
  SY_ERR_PAYLOAD_TOO_LARGE: 413,
  SY_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  SY_ERR_RATE_LIMITED: 429,
  SY_ERR_QUOTA_EXCEEDED: 429,
  SY_ERR_UPSTREAM_RATE_LIMITED: 429,
  SY_ERR_INTERNAL: 500,
  SY_ERR_UPSTREAM: 502,
  /**
   * A proxied product image Switchyard will not serve: its address is not public, its bytes are not
   * a raster image (SVG included), or it is larger than the limit.
   */
  SY_ERR_IMAGE_REFUSED: 502,
  SY_ERR_UPSTREAM_UNAVAILABLE: 503,
  SY_ERR_DEPENDENCY_UNAVAILABLE: 503,
  /** An upstream refused Switchyard's own credentials (an expired or revoked access token): an operator must act. */
  SY_ERR_UPSTREAM_AUTH: 503,
  /** Messaging is not configured for the caller's environment. */
  SY_ERR_MESSAGING_NOT_CONFIGURED: 503,
  /** An app (MCP server) could not be reached or broke the protocol. */
  SY_ERR_APP_UNAVAILABLE: 503,
  SY_ERR_SHUTTING_DOWN: 503,
  SY_ERR_UPSTREAM_TIMEOUT: 504,
  /** A skill did not answer within its app's timeout. */
  SY_ERR_SKILL_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface SwitchyardErrorOptions {
  status?: number;
  isRetryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Seconds after which a retry may succeed (sent as Retry-After). */
  retryAfterSeconds?: number;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly isRetryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = options.status ?? errorCodes[code];
    this.isRetryable = options.isRetryable ?? (this.status === 429 || this.status >= 502);
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isSwitchyardError(value: unknown): value is SwitchyardError {
  return value instanceof SwitchyardError;
}
