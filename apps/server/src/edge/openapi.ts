import * as apiSchemas from '@switchyard/api-schemas';
import type { FastifySchema, RouteOptions } from 'fastify';
import Type, { type TSchema } from 'typebox';
import type { AuthRequirement } from './principal';

/**
 * The OpenAPI document is generated from the routes; this module adds what the route schemas alone
 * do not say: an operationId per operation, who may call it (security), the media types of streaming
 * answers, the 2xx of routes that write their own answer (the hot gateway routes serialize by hand,
 * so their success schema is documentation only and never used to serialize), the session-cookie
 * scheme and better-auth's sign-in routes, and named component schemas from the shared package.
 */

const sessionCookie = 'switchyard.session_token';

/** Declared up front: the generator reads them while it converts each route's `security`. */
export const securitySchemes = {
  bearer: { type: 'http', scheme: 'bearer', description: 'prod_…, dev_… or gt_… key' },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: sessionCookie,
    description: 'The web app session (better-auth), set by /api/auth/sign-in/email',
  },
  anthropicKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'The same key in the header Anthropic clients use (Anthropic-compatible routes only)',
  },
} as const;

const securityByAuth: Record<AuthRequirement, readonly Record<string, string[]>[]> = {
  none: [],
  optional: [{ bearer: [] }, {}],
  required: [{ bearer: [] }],
  session: [{ session: [] }],
  admin: [{ bearer: [] }, { session: [] }],
};

const sseText = (description: string) => ({ type: 'string', description });

const ChatCompletion = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          message: Type.Object(
            {
              role: Type.Literal('assistant'),
              content: Type.Union([Type.String(), Type.Null()]),
              tool_calls: Type.Optional(Type.Array(apiSchemas.ToolCallSchema)),
            },
            { additionalProperties: true },
          ),
          finish_reason: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: true },
      ),
    ),
    usage: Type.Optional(apiSchemas.Usage),
  },
  { additionalProperties: true, description: 'OpenAI chat completion' },
);

const Embeddings = Type.Object(
  {
    object: Type.Literal('list'),
    model: Type.String(),
    data: Type.Array(
      Type.Object({
        object: Type.Literal('embedding'),
        index: Type.Integer(),
        embedding: Type.Union([Type.Array(Type.Number()), Type.String({ description: 'base64 float32 LE' })]),
      }),
    ),
    usage: Type.Object({ prompt_tokens: Type.Integer(), total_tokens: Type.Integer() }),
  },
  { description: 'OpenAI embeddings' },
);

const TextCompletion = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('text_completion'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          text: Type.String(),
          finish_reason: Type.Union([Type.String(), Type.Null()]),
          logprobs: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
        },
        { additionalProperties: true },
      ),
    ),
    usage: Type.Optional(apiSchemas.Usage),
  },
  { additionalProperties: true, description: 'OpenAI (legacy) text completion' },
);

const Moderation = Type.Object(
  {
    id: Type.String(),
    model: Type.String(),
    results: Type.Array(
      Type.Object(
        {
          flagged: Type.Boolean(),
          categories: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
          category_scores: Type.Optional(Type.Record(Type.String(), Type.Number())),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, description: "OpenAI moderation, as the moderation model's provider answered it" },
);

const OpenAIImages = Type.Object(
  {
    created: Type.Integer(),
    data: Type.Array(Type.Object({ url: Type.Optional(Type.String()), b64_json: Type.Optional(Type.String()) })),
  },
  { description: 'OpenAI images response' },
);

const AnyJob = Type.Object(
  { id: Type.String(), name: Type.String(), status: Type.String() },
  { additionalProperties: true, description: 'A job: name, status, attempts, payload summary, error' },
);

const JsonRpc = Type.Object(
  { jsonrpc: Type.Literal('2.0') },
  { additionalProperties: true, description: 'A JSON-RPC 2.0 response (MCP)' },
);

interface SuccessDoc {
  readonly status: number;
  readonly description: string;
  /** Media type → schema; `application/json` bodies, streams as text. */
  readonly content?: Readonly<Record<string, unknown>>;
}

/** Routes whose success answer the route schema does not declare, by `METHOD url` as Fastify has it. */
const successDocs: Readonly<Record<string, SuccessDoc>> = {
  'POST /v1/chat/completions': {
    status: 200,
    description: 'The completion; with `stream: true`, chunks as server-sent events ending in `data: [DONE]`',
    content: {
      'application/json': { schema: ChatCompletion },
      'text/event-stream': { schema: sseText('`data: {chat.completion.chunk}` frames, then `data: [DONE]`') },
    },
  },
  'POST /v1/completions': {
    status: 200,
    description: 'The completion; with `stream: true`, chunks as server-sent events ending in `data: [DONE]`',
    content: {
      'application/json': { schema: TextCompletion },
      'text/event-stream': { schema: sseText('`data: {text_completion}` frames, then `data: [DONE]`') },
    },
  },
  'POST /v1/moderations': {
    status: 200,
    description: 'One result per input',
    content: { 'application/json': { schema: Moderation } },
  },
  'POST /v1/embeddings': {
    status: 200,
    description: 'The embeddings',
    content: { 'application/json': { schema: Embeddings } },
  },
  'POST /v1/image/generate': {
    status: 202,
    description: 'Queued; follow `status_url`',
    content: { 'application/json': { schema: apiSchemas.ImageQueued } },
  },
  'POST /v1/images/generations': {
    status: 200,
    description: 'The generated images',
    content: { 'application/json': { schema: OpenAIImages } },
  },
  'POST /v1/audio/speech': {
    status: 200,
    description: 'The spoken audio in the requested format',
    content: { 'audio/*': { schema: { type: 'string', format: 'binary' } } },
  },
  'GET /v1/admin/jobs/:id': {
    status: 200,
    description: 'The job',
    content: { 'application/json': { schema: AnyJob } },
  },
  'POST /v1/admin/jobs/:id/replay': {
    status: 200,
    description: 'The job, queued again',
    content: { 'application/json': { schema: AnyJob } },
  },
  'DELETE /v1/admin/jobs/:id': { status: 204, description: 'Discarded' },
  'DELETE /v1/admin/apps/:id': { status: 204, description: 'Deleted' },
  'GET /v1/events/flows/:flowId': {
    status: 200,
    description: "The flow's events",
    content: {
      'text/event-stream': { schema: sseText('`id`, `event` and `data` frames; resumable with Last-Event-ID') },
    },
  },
  'POST /mcp': {
    status: 200,
    description: 'The JSON-RPC answer (or 202 for a notification)',
    content: { 'application/json': { schema: JsonRpc } },
  },
  'GET /v1/apps/gift-finder/sessions/:id/products/:productId/image': {
    status: 200,
    description: 'The product’s image (JPEG, PNG, GIF, WebP or AVIF, checked by its bytes), fetched for the page',
    content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
  },
  'GET /v1/apps/gift-finder/sessions/:id/events': {
    status: 200,
    description: "The session's events",
    content: {
      'text/event-stream': {
        schema: sseText('`question`, `answer`, `stage`, `products`, `ranking`, `refused`, `done`; resumable'),
      },
    },
  },
  'DELETE /v1/audio/recordings/:id': { status: 204, description: 'Deleted, with its stored audio and transcript' },
  'DELETE /v1/admin/schedules/:id': { status: 204, description: 'Deleted' },
  'DELETE /v1/admin/plans/:id': { status: 204, description: 'Deleted' },
  'DELETE /v1/admin/plan-assignments/:subject_type/:subject_id': {
    status: 204,
    description: "Removed; the default plan (or the key owner's) applies from the next request",
  },
  'DELETE /api/searches/:id': { status: 204, description: 'Deleted, with its runs and schedule' },
  'DELETE /api/presets/:id': { status: 204, description: 'Deleted' },
  'DELETE /api/images/:id': { status: 204, description: 'Deleted, with its bytes' },
  'DELETE /api/assistants/:id': { status: 204, description: 'Deleted; chats with it keep their messages' },
  'DELETE /api/apps/:id': { status: 204, description: 'Removed from its project' },
  'DELETE /v1/projects/:projectId': {
    status: 204,
    description: 'Deleted with what was shared in it; its keys revoked',
  },
  'DELETE /v1/projects/:projectId/members/:userId': { status: 204, description: 'Removed; their project keys revoked' },
  'DELETE /v1/admin/projects/:projectId': { status: 204, description: 'Deleted with what was shared in it' },
  'GET /v1/whatsapp/webhook': {
    status: 200,
    description: 'The verification handshake: `hub.challenge` echoed back',
    content: { 'text/plain': { schema: { type: 'string' } } },
  },
  'GET /api/notifications/stream': {
    status: 200,
    description: 'New notifications and the unread count, live',
    content: {
      'text/event-stream': { schema: sseText('`notification` and `unread` events; resumable with Last-Event-ID') },
    },
  },
  'GET /mcp': { status: 405, description: 'Not offered: the endpoint is stateless' },
  'DELETE /mcp': { status: 405, description: 'Not offered: the endpoint is stateless' },
};

/** Routes that can answer with a stream besides their JSON answer. */
const streamingRoutes: Readonly<Record<string, { mediaType: string; description: string }>> = {
  'POST /v1/chat': { mediaType: 'text/event-stream', description: '`start`, `delta`, `done` or `error` events' },
  'GET /v1/chat/jobs/:id/events': { mediaType: 'text/event-stream', description: 'job progress events' },
  'GET /v1/skills/jobs/:id/events': { mediaType: 'text/event-stream', description: 'skill call progress events' },
  'GET /v1/audio/jobs/:id/events': { mediaType: 'text/event-stream', description: 'transcription progress events' },
  'GET /api/chat/stream': { mediaType: 'text/event-stream', description: 'the answer being written, resumable' },
};

/** `POST /v1/admin/jobs/{id}/replay` → `postV1AdminJobsByIdReplay`. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((word) => word[0]?.toUpperCase() + word.slice(1))].join('');
}

interface RouteTransformInput {
  readonly schema: FastifySchema;
  readonly url: string;
  readonly route: Pick<RouteOptions, 'method' | 'config'>;
}

function methodOf(route: RouteTransformInput['route']): string {
  return (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'GET';
}

function withStreamingType(response: unknown, stream: { mediaType: string; description: string }): unknown {
  if (!response || typeof response !== 'object') return response;
  const existing = response as Record<string, unknown>;
  if ('content' in existing) return existing;
  const { description, ...schema } = existing;
  return {
    description: typeof description === 'string' ? description : 'OK',
    content: {
      'application/json': { schema },
      [stream.mediaType]: { schema: sseText(stream.description) },
    },
  };
}

/** Per route: operationId, security, x-switchyard-auth, the documented 2xx and streaming media types. */
export function transformRouteSchema({ schema: routeSchema, url, route }: RouteTransformInput): {
  schema: FastifySchema;
  url: string;
} {
  const schema = routeSchema as Record<string, unknown>;
  const method = methodOf(route);
  const key = `${method} ${url}`;
  const auth = (route.config as { behaviour?: { auth?: AuthRequirement } } | undefined)?.behaviour?.auth;
  const next: Record<string, unknown> = { ...schema, operationId: schema.operationId ?? operationIdOf(method, url) };
  if (auth) {
    next['x-switchyard-auth'] = auth;
    if (!('security' in schema)) next.security = securityByAuth[auth];
  }
  const responses = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  const success = successDocs[key];
  if (success && !Object.keys(responses).some((status) => status.startsWith('2'))) {
    responses[String(success.status)] = {
      description: success.description,
      ...(success.content ? { content: success.content } : {}),
    };
  }
  const stream = streamingRoutes[key];
  if (stream) {
    const status = Object.keys(responses).find((code) => code.startsWith('2'));
    if (status) responses[status] = withStreamingType(responses[status], stream);
    else
      responses['200'] = {
        description: 'OK',
        content: { [stream.mediaType]: { schema: sseText(stream.description) } },
      };
  }
  if (Object.keys(responses).length > 0) next.response = responses;
  return { schema: next as FastifySchema, url };
}

const authRoutes = {
  '/api/auth/sign-up/email': {
    post: {
      tags: ['Accounts'],
      operationId: 'signUpEmail',
      summary: 'Create an account with email and password (better-auth); sets the session cookie',
      security: [],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['email', 'password', 'name'],
              properties: {
                email: { type: 'string', format: 'email' },
                password: { type: 'string' },
                name: { type: 'string' },
              },
            },
          },
        },
      },
      responses: { '200': { description: 'Signed up and in' }, '400': { description: 'Invalid input' } },
    },
  },
  '/api/auth/sign-in/email': {
    post: {
      tags: ['Accounts'],
      operationId: 'signInEmail',
      summary: 'Sign in with email and password (better-auth); sets the session cookie',
      security: [],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['email', 'password'],
              properties: { email: { type: 'string', format: 'email' }, password: { type: 'string' } },
            },
          },
        },
      },
      responses: { '200': { description: 'Signed in' }, '401': { description: 'Invalid email or password' } },
    },
  },
  '/api/auth/sign-out': {
    post: {
      tags: ['Accounts'],
      operationId: 'signOut',
      summary: 'End this session',
      security: [{ session: [] }],
      responses: { '200': { description: 'Signed out' } },
    },
  },
  '/api/auth/get-session': {
    get: {
      tags: ['Accounts'],
      operationId: 'getSession',
      summary: 'The current session and user, or null',
      security: [{ session: [] }, {}],
      responses: { '200': { description: 'The session' } },
    },
  },
  '/api/auth/request-password-reset': {
    post: {
      tags: ['Accounts'],
      operationId: 'requestPasswordReset',
      summary: 'Mail a password-reset link (the answer never says whether the address exists)',
      security: [],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['email'],
              properties: { email: { type: 'string', format: 'email' }, redirectTo: { type: 'string' } },
            },
          },
        },
      },
      responses: { '200': { description: 'Accepted' } },
    },
  },
  '/api/auth/reset-password': {
    post: {
      tags: ['Accounts'],
      operationId: 'resetPassword',
      summary: 'Set a new password with the token from the reset link',
      security: [],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['newPassword', 'token'],
              properties: { newPassword: { type: 'string' }, token: { type: 'string' } },
            },
          },
        },
      },
      responses: { '200': { description: 'Password changed' }, '400': { description: 'Invalid or expired token' } },
    },
  },
};

/** Stable JSON of a schema (keys sorted, TypeBox's symbol keys gone) to find where it is used inline. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

/** The object schemas of the shared package, by export name. */
function namedSchemas(): Map<string, { name: string; schema: TSchema }> {
  const byFingerprint = new Map<string, { name: string; schema: TSchema }>();
  for (const [name, value] of Object.entries(apiSchemas)) {
    if (!value || typeof value !== 'object' || (value as { type?: unknown }).type !== 'object') continue;
    const print = fingerprint(value);
    // Two exports of the same shape: the first name wins.
    if (!byFingerprint.has(print)) byFingerprint.set(print, { name, schema: value as TSchema });
  }
  return byFingerprint;
}

/** Replaces every inline copy of a named shared schema (request and response bodies) with a $ref. */
function referenceComponents(document: Record<string, unknown>): void {
  const named = namedSchemas();
  const components = (document.components ?? {}) as Record<string, unknown>;
  document.components = components;
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  components.schemas = schemas;
  const visitContent = (content: unknown) => {
    if (!content || typeof content !== 'object') return;
    for (const media of Object.values(content as Record<string, { schema?: unknown }>)) {
      if (!media?.schema) continue;
      const match = named.get(fingerprint(media.schema));
      if (!match) continue;
      schemas[match.name] ??= media.schema;
      media.schema = { $ref: `#/components/schemas/${match.name}` };
    }
  };
  for (const item of Object.values((document.paths as Record<string, Record<string, unknown>>) ?? {})) {
    for (const operation of Object.values(item)) {
      if (!operation || typeof operation !== 'object') continue;
      const { requestBody, responses } = operation as { requestBody?: { content?: unknown }; responses?: unknown };
      visitContent(requestBody?.content);
      for (const response of Object.values((responses as Record<string, { content?: unknown }>) ?? {})) {
        visitContent(response?.content);
      }
    }
  }
}

/** The whole document: servers, better-auth's routes, named components. */
export function transformDocument(
  document: Record<string, unknown>,
  publicUrl: string | null,
): Record<string, unknown> {
  document.servers = [
    { url: publicUrl ?? '/', description: publicUrl ? 'This server' : 'The server this document came from' },
  ];
  document.paths = { ...authRoutes, ...((document.paths as Record<string, unknown>) ?? {}) };
  referenceComponents(document);
  return document;
}
