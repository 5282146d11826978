import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { isS3NotFound, toStorageError } from './s3-errors';

function serviceError(name: string, status: number, extra: Record<string, unknown> = {}): S3ServiceException {
  return Object.assign(
    new S3ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status, requestId: 'request-1' },
      message: `${name} for AKIAEXAMPLEKEYID0001`,
    }),
    extra,
  );
}

describe('toStorageError', () => {
  it('keeps access key ids and signed strings that S3 echoes out of the error', () => {
    const error = toStorageError(
      serviceError('SignatureDoesNotMatch', 403, {
        AWSAccessKeyId: 'AKIAEXAMPLEKEYID0001',
        StringToSign: 'AWS4-HMAC-SHA256\n20260101T000000Z\nscope/AKIAEXAMPLEKEYID0001',
      }),
      { operation: 'put', key: 'a' },
    );
    expect(error).toMatchObject({ code: 'SY_ERR_DEPENDENCY_UNAVAILABLE', isRetryable: false });
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('AKIAEXAMPLEKEYID0001');
    expect(error.details).toMatchObject({ s3Error: 'SignatureDoesNotMatch', httpStatus: 403, requestId: 'request-1' });
  });

  it('maps missing objects, missing buckets, throttling and server errors', () => {
    expect(toStorageError(serviceError('NoSuchKey', 404), { operation: 'get', key: 'k' })).toMatchObject({
      code: 'SY_ERR_NOT_FOUND',
      status: 404,
    });
    expect(toStorageError(serviceError('NoSuchBucket', 404), { operation: 'get', key: 'k' })).toMatchObject({
      code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
      isRetryable: false,
    });
    expect(toStorageError(serviceError('SlowDown', 503), { operation: 'put', key: 'k' })).toMatchObject({
      code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
      isRetryable: true,
    });
    expect(toStorageError(serviceError('InternalError', 500), { operation: 'list' })).toMatchObject({
      code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
      isRetryable: true,
    });
    expect(toStorageError(serviceError('EntityTooLarge', 400), { operation: 'put', key: 'k' })).toMatchObject({
      code: 'SY_ERR_PAYLOAD_TOO_LARGE',
    });
    expect(toStorageError(serviceError('MalformedXML', 400), { operation: 'put', key: 'k' })).toMatchObject({
      code: 'SY_ERR_INTERNAL',
    });
    expect(isS3NotFound(serviceError('NotFound', 404))).toBe(true);
    expect(isS3NotFound(serviceError('NoSuchBucket', 404))).toBe(false);
  });

  it('treats errors without an HTTP status as network failures worth retrying', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9000'), { code: 'ECONNREFUSED' });
    expect(toStorageError(refused, { operation: 'ping', endpoint: 'http://10.0.0.1:9000' })).toMatchObject({
      code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
      isRetryable: true,
      details: { code: 'ECONNREFUSED', endpoint: 'http://10.0.0.1:9000' },
    });
    const timeout = Object.assign(new Error('aborted'), { name: 'TimeoutError' });
    expect(toStorageError(timeout, { operation: 'ping' })).toMatchObject({ isRetryable: true });
  });
});
