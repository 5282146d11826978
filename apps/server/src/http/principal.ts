import type { Environment } from '@switchyard/core';

/** Who is calling: an API key, or an anonymous client counted by IP. */
export interface Principal {
  kind: 'key' | 'anonymous';
  environment: Environment;
  keyId: string | null;
  keyName: string | null;
  keyPrefix: string | null;
  isAdmin: boolean;
  /** The subject rate limits and quotas are counted against. */
  subject: string;
}

export type AuthRequirement = 'none' | 'optional' | 'required' | 'admin';

export interface RouteBehaviour {
  auth: AuthRequirement;
  /** Which per-environment rate limit (setting `rate_limit.<name>.<env>`) applies. */
  rateLimit?: 'chat' | 'image';
  /** Errors in OpenAI's shape instead of ours. */
  openaiErrors?: boolean;
  /** Whether a usage row is written for this route (operations endpoints are not logged). */
  usage?: boolean;
}

export interface UsageInfo {
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    usageInfo: UsageInfo | null;
  }
  interface FastifyContextConfig {
    behaviour?: RouteBehaviour;
  }
}
