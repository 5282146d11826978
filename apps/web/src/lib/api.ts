import { formatDateTime, t } from './i18n';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from Retry-After, when the server sent one. */
    readonly retryAfter: number | null = null,
    /** When a used-up budget resets (402 SY_ERR_BUDGET_EXCEEDED's error.resets_at). */
    readonly resetsAt: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface FriendlyError {
  title: string;
  detail: string;
  signIn?: boolean;
}

function formatSeconds(seconds: number): string {
  return seconds < 60
    ? t('errors.seconds', { count: seconds })
    : t('errors.minutes', { count: Math.ceil(seconds / 60) });
}

/** What the UI says about a failed request, in the page's language. */
export function describeError(error: unknown): FriendlyError {
  if (!(error instanceof ApiError)) {
    if (error instanceof Error && error.name === 'AbortError')
      return { title: t('errors.stopped'), detail: t('errors.cancelled') };
    return {
      title: t('errors.network'),
      detail: error instanceof Error ? error.message : t('errors.unreachable'),
    };
  }
  // better-auth's answer to a wrong email or password (a 401): not a session that ended.
  if (error.code === 'INVALID_EMAIL_OR_PASSWORD') {
    return { title: t('errors.signInFailed'), detail: t('errors.invalidCredentials') };
  }
  if (error.code === 'INVALID_PASSWORD') {
    return { title: t('errors.wrongPassword'), detail: t('errors.wrongPasswordDetail') };
  }
  if (error.status === 401 || error.code === 'SY_ERR_UNAUTHORIZED') {
    return { title: t('errors.pleaseSignIn'), detail: error.message || t('errors.sessionEnded'), signIn: true };
  }
  switch (error.code) {
    case 'SY_ERR_RATE_LIMITED':
    case 'SY_ERR_UPSTREAM_RATE_LIMITED':
      return {
        title: t('errors.tooMany'),
        detail:
          error.retryAfter !== null
            ? t('errors.tryAgainIn', { when: formatSeconds(error.retryAfter) })
            : t('errors.waitAMoment'),
      };
    case 'SY_ERR_BUDGET_EXCEEDED':
      return {
        title: t('errors.budget'),
        detail: error.resetsAt ? t('errors.budgetResets', { when: formatDateTime(error.resetsAt) }) : error.message,
      };
    case 'SY_ERR_QUOTA_EXCEEDED':
      return { title: t('errors.quota'), detail: error.message };
    case 'SY_ERR_MODEL_NOT_ALLOWED':
      return { title: t('errors.modelNotAllowed'), detail: error.message };
    case 'SY_ERR_MODEL_NOT_FOUND':
      return { title: t('errors.unknownModel'), detail: error.message };
    case 'SY_ERR_FORBIDDEN':
      return { title: t('errors.forbidden'), detail: error.message };
    case 'SY_ERR_VALIDATION':
      return { title: t('errors.invalidInput'), detail: error.message };
  }
  if (error.status >= 500) return { title: t('errors.server'), detail: error.message || `HTTP ${error.status}` };
  return { title: t('errors.requestFailed', { status: error.status }), detail: error.message };
}

/** Builds an ApiError from a non-2xx response: Switchyard's, OpenAI's and better-auth's error shapes. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText;
  let resetsAt: string | null = null;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; resets_at?: string } | string;
      code?: string;
      message?: string;
    };
    if (body.error && typeof body.error === 'object') {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      resetsAt = typeof body.error.resets_at === 'string' ? body.error.resets_at : null;
    } else {
      code = body.code ?? code;
      message = body.message ?? (typeof body.error === 'string' ? body.error : message);
    }
  } catch {
    // not JSON
  }
  const retry = response.headers.get('retry-after');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : null;
  return new ApiError(response.status, code, message, retryAfter, resetsAt);
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** `started`: the response of this same GET, already sent (early-requests.ts), instead of sending it. */
export async function request(path: string, init: RequestInit = {}, started?: Promise<Response>): Promise<Response> {
  const headers = new Headers(init.headers);
  // A FormData body sets its own multipart content type (with the boundary).
  if (init.body !== undefined && !(init.body instanceof FormData) && !headers.has('content-type')) {
    headers.set('content-type', 'application/json');
  }
  const response = await (started ?? fetch(path, { credentials: 'same-origin', ...init, headers }));
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (error.status === 401 && !path.startsWith('/api/auth') && path !== '/api/me') onUnauthorized();
    throw error;
  }
  return response;
}

export async function api<T>(
  path: string,
  init: RequestInit & { json?: unknown } = {},
  started?: Promise<Response>,
): Promise<T> {
  const { json, ...rest } = init;
  const response = await request(path, json === undefined ? rest : { ...rest, body: JSON.stringify(json) }, started);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

// Wire shapes come from the server's own schemas (types only: nothing of the package is bundled).
export type { Me, NativeModel as ChatModel, NativeModelList as ChatModelList } from '@switchyard/api-schemas';
