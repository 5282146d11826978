import { describe, expect, it } from 'vitest';
import { displayPrefixOfKey, environmentOfKey, generateApiKey, hashApiKey } from './environment';

describe('API key prefixes', () => {
  it('maps prod_, dev_ and legacy gt_ to their environments', () => {
    expect(environmentOfKey('prod_abc')).toBe('prod');
    expect(environmentOfKey('dev_abc')).toBe('dev');
    expect(environmentOfKey('gt_abc')).toBe('prod');
  });

  it('rejects keys without a known prefix', () => {
    expect(environmentOfKey('sk-abc')).toBeUndefined();
    expect(environmentOfKey('staging_abc')).toBeUndefined();
    expect(environmentOfKey('')).toBeUndefined();
  });

  it('generates distinct high-entropy keys with the environment prefix', () => {
    const first = generateApiKey('dev');
    const second = generateApiKey('dev');
    expect(first).toMatch(/^dev_[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    expect(environmentOfKey(first)).toBe('dev');
  });

  it('hashes keys with SHA-256 and shows only a short prefix', () => {
    expect(hashApiKey('prod_x')).toBe('b2daafef05434aa0dd29228fa24fbe86321ccfbf98a79a98feeefd2d7ac6cd95');
    expect(hashApiKey('prod_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey('prod_x')).not.toBe(hashApiKey('prod_y'));
    expect(displayPrefixOfKey('prod_abcdefghij')).toBe('prod_abcdef');
  });
});
