import { SwitchyardError } from '@switchyard/core';
import { defaultContentType, type PutOptions } from './object-store';

export interface NormalizedPutOptions {
  contentType: string;
  metadata: Record<string, string>;
}

/** S3's limit on user metadata (keys plus values); the disk store enforces it too so both accept the same objects. */
export const maxMetadataBytes = 2048;

const contentTypePattern = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:\s*;[\x20-\x7e]*)?$/;
const metadataKeyPattern = /^[a-z0-9][a-z0-9_-]*$/;
const metadataValuePattern = /^[\x20-\x7e]*$/;

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', message);
}

/**
 * Content type and metadata travel as HTTP headers to S3, which lower-cases
 * header names and trims values. Values that would not survive that trip are
 * rejected here, for both backends, instead of coming back changed.
 */
export function normalizePutOptions(options: PutOptions | undefined): NormalizedPutOptions {
  const contentType = options?.contentType ?? defaultContentType;
  if (contentType.length > 255 || contentType !== contentType.trim() || !contentTypePattern.test(contentType)) {
    throw invalid('content type must look like "type/subtype" with optional parameters, in printable ASCII');
  }

  const metadata: Record<string, string> = {};
  let metadataBytes = 0;
  for (const [rawKey, value] of Object.entries(options?.metadata ?? {})) {
    const key = rawKey.toLowerCase();
    if (!metadataKeyPattern.test(key)) {
      throw invalid('metadata keys may contain only letters, digits, "-" and "_", starting with a letter or digit');
    }
    if (typeof value !== 'string' || !metadataValuePattern.test(value) || value !== value.trim()) {
      throw invalid(`metadata value for "${key}" must be printable ASCII without leading or trailing spaces`);
    }
    if (key in metadata) throw invalid(`metadata key "${key}" is given twice (keys are case-insensitive)`);
    metadata[key] = value;
    metadataBytes += key.length + value.length;
  }
  if (metadataBytes > maxMetadataBytes) throw invalid(`metadata must be at most ${maxMetadataBytes} bytes in total`);

  return { contentType, metadata };
}
