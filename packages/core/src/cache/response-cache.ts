import { createHash } from 'node:crypto';

/** Stores serialized answers under a hashed key with a TTL. */
export interface ResponseCacheStore {
  readonly backend: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

/**
 * The cache key: a SHA-256 over the environment, the public model and every
 * field that changes the answer, in a fixed order. The environment is part of
 * the key, so prod and dev never share an entry.
 */
export function responseCacheKey(parts: {
  environment: string;
  model: string;
  request: Record<string, unknown>;
}): string {
  const fields = [
    'messages',
    'temperature',
    'top_p',
    'max_tokens',
    'max_completion_tokens',
    'stop',
    'seed',
    'presence_penalty',
    'frequency_penalty',
    'response_format',
    'tools',
    'tool_choice',
    'logit_bias',
    'n',
  ];
  const material = fields.map((field) => [field, parts.request[field] ?? null]);
  return createHash('sha256')
    .update(JSON.stringify([parts.environment, parts.model, material]))
    .digest('hex');
}

/** In-process LRU with per-entry expiry and a bound on entries. */
export function createMemoryResponseCache(maxEntries = 10_000): ResponseCacheStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  return {
    backend: 'memory',
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= Date.now()) {
        entries.delete(key);
        return undefined;
      }
      // Re-insert to mark as most recently used.
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    async set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      entries.delete(key);
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
  };
}
