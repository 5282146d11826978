import { SwitchyardError } from '@switchyard/core';
import { defaultListLimit, type ListOptions, maxListLimit } from './object-store';

export const maxKeyLength = 512;
/** Leaves room under the usual 255-byte file name limit for the disk store's suffixes. */
export const maxSegmentLength = 200;

const segmentPattern = /^[A-Za-z0-9._-]+$/;
const prefixPattern = /^[A-Za-z0-9._/-]*$/;

function invalid(what: 'key' | 'prefix', reason: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', `invalid object ${what}: ${reason}`);
}

function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return 'must not contain empty segments';
  if (segment === '.') return 'must not contain "." segments';
  if (segment.length > maxSegmentLength) return `segments must be at most ${maxSegmentLength} characters`;
  if (!segmentPattern.test(segment)) return 'only A-Z, a-z, 0-9, ".", "_", "-" and "/" are allowed';
  return undefined;
}

/**
 * Keys are the only part of a path the caller controls, so they are held to a
 * strict grammar (segments of [A-Za-z0-9._-] joined by '/', no '..'). That
 * grammar is what makes path traversal impossible in the disk store and keeps
 * both backends agreeing on which keys exist.
 */
export function assertValidObjectKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw invalid('key', 'must not be empty');
  if (key.length > maxKeyLength) throw invalid('key', `must be at most ${maxKeyLength} characters`);
  if (key.startsWith('/')) throw invalid('key', 'must not start with "/"');
  if (key.includes('..')) throw invalid('key', 'must not contain ".."');
  for (const segment of key.split('/')) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw invalid('key', problem);
  }
}

export function isValidObjectKey(key: unknown): key is string {
  try {
    assertValidObjectKey(key);
    return true;
  } catch {
    return false;
  }
}

/** A prefix is a key cut anywhere: '' lists everything, a trailing '/' or a partial last segment is fine. */
export function assertValidObjectPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw invalid('prefix', 'must be a string');
  if (prefix.length === 0) return;
  if (prefix.length > maxKeyLength) throw invalid('prefix', `must be at most ${maxKeyLength} characters`);
  if (prefix.startsWith('/')) throw invalid('prefix', 'must not start with "/"');
  if (prefix.includes('..')) throw invalid('prefix', 'must not contain ".."');
  if (!prefixPattern.test(prefix)) throw invalid('prefix', 'only A-Z, a-z, 0-9, ".", "_", "-" and "/" are allowed');
  const completeSegments = prefix.split('/').slice(0, -1);
  for (const segment of completeSegments) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw invalid('prefix', problem);
  }
}

export function resolveListLimit(options: ListOptions | undefined): number {
  const limit = options?.limit ?? defaultListLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxListLimit) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `list limit must be an integer from 1 to ${maxListLimit}`);
  }
  return limit;
}
