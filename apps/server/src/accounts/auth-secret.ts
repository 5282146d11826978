import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SwitchyardConfig, SwitchyardError } from '@switchyard/core';

export const authSecretFileName = 'auth-secret';

function readSecretFile(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  // Someone may have loosened the mode by hand; the secret signs every session cookie.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const secret = text.trim();
  if (secret.length < 32) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${path} holds no usable secret; delete it to generate a new one`);
  }
  return secret;
}

/**
 * The secret that signs session cookies. Server mode: AUTH_SECRET, required,
 * because every API process must share it. Embedded mode: AUTH_SECRET when
 * set, else one generated on first start and kept in the data dir (mode 0600)
 * so sessions survive restarts.
 */
export function resolveAuthSecret(config: SwitchyardConfig, mode: 'embedded' | 'server'): string {
  if (config.authSecret) return config.authSecret;
  if (mode === 'server') {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      'Server mode needs AUTH_SECRET (the same value on every API process) to sign session cookies; ' +
        'generate one with: openssl rand -base64 32',
    );
  }
  const path = join(config.dataDir, authSecretFileName);
  const existing = readSecretFile(path);
  if (existing) return existing;
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (the CLI, holding the same lock in turn) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const written = readSecretFile(path);
      if (written) return written;
    }
    throw error;
  }
  return secret;
}
