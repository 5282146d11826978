import { isSwitchyardError, SwitchyardError } from '@switchyard/core';

export interface S3ErrorContext {
  operation: string;
  key?: string;
  /** Origin of the endpoint (no user info), for network errors. */
  endpoint?: string;
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

const notFoundNames = new Set(['NoSuchKey', 'NotFound']);
const timeoutNames = new Set(['AbortError', 'TimeoutError', 'RequestTimeout']);

function describe(error: unknown): {
  name: string | undefined;
  code: string | undefined;
  status: number | undefined;
  requestId: string | undefined;
} {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const requestId = shape.$metadata?.requestId;
  return {
    name: typeof shape.name === 'string' ? shape.name : undefined,
    code: typeof shape.code === 'string' ? shape.code : undefined,
    status: typeof status === 'number' ? status : undefined,
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

export function isS3NotFound(error: unknown): boolean {
  const { name, status } = describe(error);
  return (name !== undefined && notFoundNames.has(name)) || (status === 404 && name !== 'NoSuchBucket');
}

/**
 * Turns an AWS SDK failure into a SwitchyardError. The SDK's error objects can
 * carry the access key id and the string that was signed (S3 echoes them on
 * signature errors), so the raw error is never attached as `cause`: only its
 * name, HTTP status, request id and network error code are kept.
 */
export function toStorageError(error: unknown, context: S3ErrorContext): SwitchyardError {
  if (isSwitchyardError(error)) return error;
  const { name, code, status, requestId } = describe(error);
  const details: Record<string, unknown> = { operation: context.operation };
  if (context.key !== undefined) details.key = context.key;
  if (name !== undefined) details.s3Error = name;
  if (status !== undefined) details.httpStatus = status;
  if (requestId !== undefined) details.requestId = requestId;
  const subject = context.key === undefined ? context.operation : `${context.operation} "${context.key}"`;
  const fail = (errorCode: 'SY_ERR_DEPENDENCY_UNAVAILABLE' | 'SY_ERR_INTERNAL', reason: string, isRetryable: boolean) =>
    new SwitchyardError(errorCode, `object storage (S3) ${subject} failed: ${reason}`, { isRetryable, details });

  if (status === undefined || (name !== undefined && timeoutNames.has(name))) {
    if (code !== undefined) details.code = code;
    if (context.endpoint !== undefined) details.endpoint = context.endpoint;
    const where = context.endpoint === undefined ? '' : ` at ${context.endpoint}`;
    return fail(
      'SY_ERR_DEPENDENCY_UNAVAILABLE',
      `cannot reach the server${where} (${code ?? name ?? 'network error'})`,
      true,
    );
  }
  if (isS3NotFound(error) && context.key !== undefined) {
    return new SwitchyardError('SY_ERR_NOT_FOUND', `object not found: ${context.key}`, { details });
  }
  if (name === 'NoSuchBucket' || (status === 404 && context.key === undefined)) {
    return fail('SY_ERR_DEPENDENCY_UNAVAILABLE', 'the bucket does not exist', false);
  }
  if (status === 401 || status === 403) {
    return fail('SY_ERR_DEPENDENCY_UNAVAILABLE', `access denied (${name ?? status}); check the S3 credentials`, false);
  }
  if (name === 'EntityTooLarge') {
    return new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', `object storage (S3) refused ${subject}: too large`, {
      details,
    });
  }
  if (status >= 500 || status === 429 || name === 'SlowDown') {
    return fail('SY_ERR_DEPENDENCY_UNAVAILABLE', `server error (${name ?? status})`, true);
  }
  return fail('SY_ERR_INTERNAL', `unexpected response (${name ?? status})`, false);
}
