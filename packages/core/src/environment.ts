import { createHash, randomBytes } from 'node:crypto';

export const environments = ['prod', 'dev'] as const;
export type Environment = (typeof environments)[number];

export function isEnvironment(value: unknown): value is Environment {
  return value === 'prod' || value === 'dev';
}

/** `prod_` and `dev_` name their environment; legacy `gt_` keys are prod. */
const prefixEnvironments: Readonly<Record<string, Environment>> = { prod_: 'prod', dev_: 'dev', gt_: 'prod' };

export function environmentOfKey(key: string): Environment | undefined {
  const underscore = key.indexOf('_');
  if (underscore < 2 || underscore > 4) return undefined;
  return prefixEnvironments[key.slice(0, underscore + 1)];
}

/** 32 random bytes, base64url: 256 bits of entropy after the prefix. */
export function generateApiKey(environment: Environment): string {
  return `${environment}_${randomBytes(32).toString('base64url')}`;
}

/** Keys are high-entropy, so a fast unsalted hash is safe and keeps lookups O(1). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What may be shown of a key after creation: prefix plus the first characters. */
export function displayPrefixOfKey(key: string): string {
  const underscore = key.indexOf('_');
  return key.slice(0, underscore + 7);
}
