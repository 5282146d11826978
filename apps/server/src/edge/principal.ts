import type { Environment, KeyScope, UserRole } from '@switchyard/core';

/** Who is calling: an API key, a signed-in user (session cookie), or an anonymous client counted by IP. */
export interface Principal {
  kind: 'key' | 'user' | 'anonymous';
  environment: Environment;
  keyId: string | null;
  keyName: string | null;
  keyPrefix: string | null;
  /** An admin key, or a user whose current role is admin. */
  isAdmin: boolean;
  /**
   * The environments whose data this caller may administer: a dev admin key dev only (it never reaches prod),
   * a prod admin key or a signed-in admin every one (prod is the control plane), anyone else none. Admin
   * routes filter and refuse by this.
   */
  adminEnvironments: readonly Environment[];
  /** The signed-in user, or the owner of a user's key. */
  userId: string | null;
  /** A project key's project: it acts within it (lists and creates the project's things). Null otherwise. */
  projectId: string | null;
  /** For users: the role read on this request, never one remembered in the cookie. */
  role: UserRole | null;
  /** What this caller may do: a key's scopes; for a user everything their role allows. */
  scopes: readonly KeyScope[];
  /** The subject rate limits and quotas are counted against. */
  subject: string;
}

/**
 * none/optional/required: about API keys (optional routes also accept a
 * session, whose user then replaces "anonymous"); session: a signed-in user
 * only; admin: an admin key or a signed-in admin.
 */
export type AuthRequirement = 'none' | 'optional' | 'required' | 'session' | 'admin';

export interface RouteBehaviour {
  auth: AuthRequirement;
  /**
   * The key scope the route needs (403 without it). Default: 'chat' for routes
   * with the chat rate limit, 'images' for the image one, 'messages' for the messages one, none otherwise.
   */
  scope?: KeyScope;
  /** Which per-environment rate limit (setting `rate_limit.<name>.<env>`) applies. */
  rateLimit?: 'chat' | 'image' | 'messages';
  /** Errors in OpenAI's shape instead of ours. */
  openaiErrors?: boolean;
  /**
   * Errors in another client protocol's shape: Anthropic's `{type:'error', error:{type, message}}`
   * or Ollama's `{error: message}` (the ingresses those clients call).
   */
  errorShape?: 'anthropic' | 'ollama';
  /** Also take the key from `x-api-key` (Anthropic's clients send it there), besides `Authorization: Bearer`. */
  apiKeyHeader?: boolean;
  /** Keys only: a session cookie is never read (key routes under /api/, where the web app's cookie routes live). */
  noSession?: boolean;
  /** Whether a usage row is written for this route (operations endpoints are not logged). */
  usage?: boolean;
  /**
   * The handler applies the plan itself (its model and app lists, the budget): the web chat, whose plan
   * depends on the chat's project, which the request hooks do not know.
   */
  plansInHandler?: boolean;
}

export interface UsageInfo {
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Seconds of audio a transcription or translation sent. */
  audioSeconds?: number | null;
  /** Prompt tokens the upstream served from its prompt cache (priced at the cached-input price). */
  cachedTokens?: number | null;
  /** Images the request generated (priced per image). */
  images?: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    usageInfo: UsageInfo | null;
    /** performance.now() when the request arrived, for requests that never get a response. */
    receivedAt: number | null;
    /** Aborted when the client leaves before the response is complete (made on first use). */
    disconnect: AbortController | null;
    /** Set by routes that answer with a server-sent event stream (switchyard_http_open_streams). */
    streaming: boolean;
    /** The SY_ERR_* code of an error answer, for the access log and switchyard_errors_total. */
    errorCode: string | null;
  }
  interface FastifyContextConfig {
    behaviour?: RouteBehaviour;
    /** The `route` label and usage-row route when the URL pattern is not one (static files: `static`). */
    metricsRoute?: string;
  }
}
