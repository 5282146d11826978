import { isSwitchyardError, type SecretScrubber, SwitchyardError } from '@switchyard/core';
import { causesOf, isDatabaseUnavailable, sqlStateOf } from '@switchyard/db';
import type { FastifyError, FastifyReply } from 'fastify';
import type { EdgeRequest } from './edge-request';

const openaiTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/**
 * PostgreSQL's codes for text it cannot store: 22021 character_not_in_repertoire (a NUL or invalid
 * UTF-8 in text), 22P05 untranslatable_character (`\u0000` in jsonb). The request hook refuses such
 * input first; this catches any path it does not cover.
 */
const invalidTextCodes = new Set(['22021', '22P05']);

/** Turns anything thrown into a SwitchyardError with a stable code; unknown errors become a bare 500. */
export function normalizeError(error: unknown): SwitchyardError {
  if (isSwitchyardError(error) && error.code !== 'SY_ERR_INTERNAL') return error;
  if (invalidTextCodes.has(sqlStateOf(error) ?? '')) {
    return new SwitchyardError(
      'SY_ERR_INVALID_TEXT',
      'The request holds text that cannot be stored (a NUL character or an unpaired surrogate)',
      { cause: error },
    );
  }
  if (isSwitchyardError(error)) return error;
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const where = fastifyError.validationContext ?? 'body';
    const path = first?.instancePath ? `${where}${first.instancePath.replaceAll('/', '.')}` : where;
    const message = first ? `${path} ${first.message ?? 'is invalid'}` : fastifyError.message;
    return new SwitchyardError('SY_ERR_VALIDATION', message, { cause: error });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', 'The request body is larger than the server accepts', {
        cause: error,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', {
        cause: error,
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SwitchyardError('SY_ERR_INVALID_JSON', 'The body is empty; send a JSON object', { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SwitchyardError('SY_ERR_INVALID_JSON', 'The body is not valid JSON', { cause: error });
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new SwitchyardError('SY_ERR_INVALID_JSON', 'The body is not valid JSON', { cause: error });
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new SwitchyardError('SY_ERR_VALIDATION', fastifyError.message, {
      status: fastifyError.statusCode,
      cause: error,
    });
  }
  if (isDatabaseUnavailable(error)) {
    return new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'The database is unavailable; retry shortly', {
      cause: error,
      retryAfterSeconds: databaseRetryAfterSeconds,
    });
  }
  return new SwitchyardError('SY_ERR_INTERNAL', 'Internal server error', { cause: error });
}

/** How long a client is asked to wait when the database is down: reconnecting takes a few seconds. */
const databaseRetryAfterSeconds = 5;

/**
 * The body a caller sees. The message is scrubbed of every configured secret: upstream messages are
 * quoted in it, and an upstream may echo the credential it received.
 */
export function errorBody(error: SwitchyardError, shape: boolean | ErrorShape, secrets: SecretScrubber): unknown {
  const message = secrets.scrub(error.message);
  if (shape === 'anthropic') {
    // Anthropic's clients read `error.type` and `error.message`; our stable code rides along.
    return { type: 'error', error: { type: anthropicType(error.status), message, code: error.code } };
  }
  // Ollama's clients read a bare string.
  if (shape === 'ollama') return { error: message };
  if (shape === true || shape === 'openai') {
    return {
      error: {
        message,
        type: openaiTypes[error.status] ?? 'api_error',
        param: (error.details?.param as string | undefined) ?? null,
        code: error.code,
      },
    };
  }
  // A refused budget says when it starts again, so a client can wait without parsing the message.
  const resetsAt = error.details?.resetsAt;
  if (typeof resetsAt === 'string') return { error: { code: error.code, message, resets_at: resetsAt } };
  return { error: { code: error.code, message } };
}

/** The error body shapes: ours, OpenAI's, Anthropic's, Ollama's. */
export type ErrorShape = 'switchyard' | 'openai' | 'anthropic' | 'ollama';

function anthropicType(status: number): string {
  if (status === 413) return 'request_too_large';
  if (status === 503 || status === 529) return 'overloaded_error';
  return openaiTypes[status] ?? 'api_error';
}

/** Which shape a route's errors take: the client protocol it speaks. */
export function errorShapeOf(request: Pick<EdgeRequest, 'routeOptions' | 'url'>): ErrorShape {
  const behaviour = request.routeOptions.config?.behaviour;
  if (behaviour?.errorShape) return behaviour.errorShape;
  return wantsOpenaiErrors(request) ? 'openai' : 'switchyard';
}

export function wantsOpenaiErrors(request: Pick<EdgeRequest, 'routeOptions' | 'url'>): boolean {
  const behaviour = request.routeOptions.config?.behaviour;
  if (behaviour) return behaviour.openaiErrors === true;
  const path = request.url.split('?')[0] ?? '';
  return path === '/v1/chat/completions' || path === '/v1/models' || path.startsWith('/v1/models/');
}

/** RFC 6750's challenge: a key that was sent and refused is `invalid_token`; a missing one gets the bare challenge. */
function bearerChallenge(error: SwitchyardError): string {
  return error.code === 'SY_ERR_UNAUTHORIZED'
    ? 'Bearer realm="switchyard"'
    : 'Bearer realm="switchyard", error="invalid_token"';
}

/** An error answer: its status, the headers it adds, and its body (before serialization). */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: unknown;
}

/**
 * What a request that failed with `thrown` answers (logged once, its code kept for the access log and
 * the error metric); the Fastify error handler and the fast path both send it.
 */
export function errorAnswer(request: EdgeRequest, thrown: unknown, secrets: SecretScrubber): ErrorAnswer {
  const error = normalizeError(thrown);
  if (request.disconnect?.signal.aborted === true) {
    // The client left first (a 499 usage row is written for it): what the cancelled work threw is no fault
    // of the server's, and nobody reads the answer.
    request.log.info({ reason: reasonOf(thrown) }, 'client disconnected before the answer');
    return { status: error.status, headers: [], body: errorBody(error, errorShapeOf(request), secrets) };
  }
  request.errorCode = error.code;
  const line = errorLogLine(error, thrown);
  request.log[line.level](line.fields, line.message);
  const headers: Array<readonly [string, string]> = [];
  if (error.retryAfterSeconds !== undefined) headers.push(['retry-after', String(error.retryAfterSeconds)]);
  // RFC 9110: a 401 names the scheme that would work (MCP clients read it too).
  if (error.status === 401) headers.push(['www-authenticate', bearerChallenge(error)]);
  return { status: error.status, headers, body: errorBody(error, errorShapeOf(request), secrets) };
}

export function sendError(
  request: EdgeRequest,
  reply: FastifyReply,
  thrown: unknown,
  secrets: SecretScrubber,
): FastifyReply {
  const answer = errorAnswer(request, thrown, secrets);
  for (const [name, value] of answer.headers) reply.header(name, value);
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}

/**
 * How a refused request is logged. A bug (any other 5xx) is an error with the thrown object and its stack;
 * an outage is one warn line with the driver's reason; a refusal the server means to give (every 4xx, and
 * SY_ERR_SHUTTING_DOWN, answered to each request that arrives while a process drains) is one info line.
 */
export function errorLogLine(
  error: SwitchyardError,
  thrown: unknown,
): { level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string } {
  if (error.code === 'SY_ERR_DEPENDENCY_UNAVAILABLE') {
    return { level: 'warn', fields: { code: error.code, reason: reasonOf(thrown) }, message: error.message };
  }
  if (error.status >= 500 && error.code !== 'SY_ERR_SHUTTING_DOWN') {
    return { level: 'error', fields: { err: thrown, code: error.code }, message: 'request failed' };
  }
  return { level: 'info', fields: { code: error.code, status: error.status }, message: error.message };
}

/** The innermost message of an error chain (the driver's own words), without parameters or stack. */
function reasonOf(thrown: unknown): string {
  let reason = String((thrown as Error)?.message ?? thrown);
  for (const current of causesOf(thrown)) {
    reason = typeof current.code === 'string' ? `${current.code}: ${current.message}` : current.message;
  }
  return reason.slice(0, 300);
}
