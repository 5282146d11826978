import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { SwitchyardError } from './errors';
import { type ObservabilityConfig, parseObservabilityConfig } from './observability-config';
import {
  applySecretFiles,
  createVaultClient,
  findVaultReferences,
  interpolateVault,
  referencedVariables,
  type VaultSettings,
  type VaultValues,
  vaultSettings,
} from './secret-sources';
import { parseWhatsAppConfig, type WhatsAppConfig, WhatsAppFileSchema } from './whatsapp-config';

const positiveInteger = Type.Integer({ minimum: 1 });

const ProviderSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$' }),
    type: Type.Union([
      Type.Literal('openai-compatible'),
      Type.Literal('ollama'),
      Type.Literal('anthropic'),
      Type.Literal('gemini'),
      Type.Literal('echo'),
    ]),
    baseURL: Type.Optional(Type.String({ minLength: 1 })),
    apiKey: Type.Optional(Type.String()),
    /** Several upstream keys, rotated: each request takes the least-used key that is not cooling down. */
    apiKeys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** Requests per minute each upstream key may make. */
    keyRpm: Type.Optional(positiveInteger),
    /** How long a key that got a 429 is skipped when the upstream does not say (Retry-After). */
    keyCooldownMs: Type.Optional(Type.Integer({ minimum: 0 })),
    /** When every key is busy or cooling down: wait for one (within the deadline) or fall back at once. */
    onKeysExhausted: Type.Optional(Type.Union([Type.Literal('wait'), Type.Literal('fallback')])),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    timeoutMs: Type.Optional(positiveInteger),
    connectTimeoutMs: Type.Optional(positiveInteger),
    firstTokenTimeoutMs: Type.Optional(positiveInteger),
    idleTimeoutMs: Type.Optional(positiveInteger),
    totalTimeoutMs: Type.Optional(positiveInteger),
    proxy: Type.Optional(Type.String({ minLength: 1 })),
    echoDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const DeploymentSchema = Type.Object(
  {
    provider: Type.String({ minLength: 1 }),
    upstreamModel: Type.Optional(Type.String({ minLength: 1 })),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

const ModelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    /** Shorthand for a single deployment. */
    provider: Type.Optional(Type.String({ minLength: 1 })),
    upstreamModel: Type.Optional(Type.String({ minLength: 1 })),
    deployments: Type.Optional(Type.Array(DeploymentSchema, { minItems: 1 })),
    loadBalancing: Type.Optional(Type.Union([Type.Literal('weighted'), Type.Literal('least-busy')])),
    /** Other model ids tried, in order, when every deployment of this one failed. */
    fallbacks: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    aliases: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    label: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    contextWindow: Type.Optional(positiveInteger),
    environments: Type.Optional(Type.Array(Type.Union([Type.Literal('prod'), Type.Literal('dev')]), { minItems: 1 })),
    /**
     * What the model does: `chat` (default) is offered in chat pickers and to /v1/completions, `embedding`
     * only to /v1/embeddings, `moderation` only to /v1/moderations (an OpenAI-compatible provider's moderation model).
     */
    kind: Type.Optional(Type.Union([Type.Literal('chat'), Type.Literal('embedding'), Type.Literal('moderation')])),
    /** The model reads images: the chat app sends image attachments as images instead of their OCR text. */
    vision: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const RoutingSchema = Type.Object(
  {
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    baseDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    deadlineMs: Type.Optional(positiveInteger),
  },
  { additionalProperties: false },
);

const CacheSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    /** `deterministic`: only requests with temperature 0; `all`: every request. */
    mode: Type.Optional(Type.Union([Type.Literal('deterministic'), Type.Literal('all')])),
    maxEntries: Type.Optional(positiveInteger),
    maxEntryBytes: Type.Optional(positiveInteger),
  },
  { additionalProperties: false },
);

const nonNegativePrice = Type.Number({ minimum: 0 });

/**
 * What one model costs, in US dollars: tokens per million (the unit providers publish), images
 * per image, audio per minute. A field left out costs nothing.
 */
const ModelPriceSchema = Type.Object(
  {
    inputPerMillion: Type.Optional(nonNegativePrice),
    outputPerMillion: Type.Optional(nonNegativePrice),
    /** Prompt tokens the upstream served from its prompt cache; default: the input price. */
    cachedInputPerMillion: Type.Optional(nonNegativePrice),
    perImage: Type.Optional(nonNegativePrice),
    perAudioMinute: Type.Optional(nonNegativePrice),
  },
  { additionalProperties: false },
);

const BillingSchema = Type.Object(
  {
    /** HMAC-SHA256 secret of POST /v1/billing/webhook; without it the webhook answers 404. */
    webhookSecret: Type.Optional(Type.String({ minLength: 16 })),
    /** Seconds a webhook's timestamp may differ from the server's clock. */
    webhookToleranceSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

const OAuthClientSchema = Type.Object(
  { clientId: Type.String({ minLength: 1 }), clientSecret: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

const SmtpSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: Type.Optional(Type.Boolean()),
    user: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    from: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const ImageModelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:-]+$' }),
    type: Type.Union([Type.Literal('comfyui'), Type.Literal('openai-images')]),
    baseURL: Type.String({ minLength: 1 }),
    apiKey: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** The checkpoint (ComfyUI) or model name (OpenAI images). */
    model: Type.Optional(Type.String({ minLength: 1 })),
    /** A ComfyUI API-format workflow JSON file used instead of the built-in SDXL template. */
    workflowFile: Type.Optional(Type.String({ minLength: 1 })),
    label: Type.Optional(Type.String()),
    timeoutMs: Type.Optional(positiveInteger),
    proxy: Type.Optional(Type.String({ minLength: 1 })),
    pollIntervalMs: Type.Optional(positiveInteger),
  },
  { additionalProperties: false },
);

/** A speech-to-text or text-to-speech model behind an OpenAI-compatible audio server or whisper.cpp. */
const AudioModelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:/-]+$' }),
    type: Type.Union([Type.Literal('openai-compatible'), Type.Literal('whisper-cpp')]),
    /** `transcription` (speech to text; default) or `speech` (text to speech). */
    kind: Type.Optional(Type.Union([Type.Literal('transcription'), Type.Literal('speech')])),
    baseURL: Type.String({ minLength: 1 }),
    apiKey: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** The upstream's model name (`whisper-1`, `whisper-large-v3`, `tts-1`); default the id. */
    model: Type.Optional(Type.String({ minLength: 1 })),
    label: Type.Optional(Type.String()),
    timeoutMs: Type.Optional(positiveInteger),
    proxy: Type.Optional(Type.String({ minLength: 1 })),
    environments: Type.Optional(
      Type.Array(Type.Union([Type.Literal('prod'), Type.Literal('dev')]), { minItems: 1, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);

const FocusModeSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    systemPrompt: Type.String({ minLength: 1, maxLength: 20_000 }),
    /** The app's skills it may use; default all. */
    skills: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
    /** The model a request without one uses. */
    model: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/**
 * An app the gateway runs skills of: an MCP server over stdio (`command`) or Streamable HTTP
 * (`url`), or a remote HTTP app (`type: http`: `baseURL` and `secret`, docs/apps.md).
 */
const AppSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    type: Type.Union([Type.Literal('mcp'), Type.Literal('http')]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    /** `["node", "server.mjs"]`: started as a child process, spoken to over stdin/stdout. */
    command: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** Environment variables for the command (the rest of Switchyard's environment is not passed). */
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    cwd: Type.Optional(Type.String({ minLength: 1 })),
    /** A Streamable HTTP MCP endpoint, e.g. http://127.0.0.1:9000/mcp. */
    url: Type.Optional(Type.String({ minLength: 1 })),
    /** A remote HTTP app: where its `/manifest` and `/skills/{name}` are. */
    baseURL: Type.Optional(Type.String({ minLength: 1 })),
    /** A remote HTTP app: signs every request (HMAC-SHA256); empty leaves the app unavailable. */
    secret: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** Which environments may use it; default both. */
    environments: Type.Optional(
      Type.Array(Type.Union([Type.Literal('prod'), Type.Literal('dev')]), { minItems: 1, uniqueItems: true }),
    ),
    /** Per skill call; default 30 s. */
    timeoutMs: Type.Optional(positiveInteger),
    /** A result larger than this (UTF-8 bytes of its text) is cut and marked; default 64 KiB. */
    maxOutputBytes: Type.Optional(positiveInteger),
    /** Presets over this app's skills that a chat can select with `focus`. */
    focusModes: Type.Optional(Type.Array(FocusModeSchema, { maxItems: 32 })),
  },
  { additionalProperties: false },
);

/** The web-search API behind the `web` app's search skill (and recurring searches). */
const WebSearchSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('searxng'), Type.Literal('brave'), Type.Literal('tavily')]),
    /** SearXNG: the instance (required). Brave and Tavily: their public API unless set. */
    baseURL: Type.Optional(Type.String({ minLength: 1 })),
    /** Brave and Tavily (required); SearXNG behind a proxy that wants a bearer token. */
    apiKey: Type.Optional(Type.String({ minLength: 1 })),
    timeoutMs: Type.Optional(positiveInteger),
  },
  { additionalProperties: false },
);

const optionalText = Type.Optional(Type.String({ minLength: 1 }));
const marketplaceFields = { baseURL: optionalText, timeoutMs: Type.Optional(positiveInteger) };

/** Marketplace APIs the gift finder searches (docs/marketplaces.md); each optional. */
const MarketplacesSchema = Type.Object(
  {
    ebay: Type.Optional(
      Type.Object(
        { ...marketplaceFields, clientId: optionalText, clientSecret: optionalText, marketplaceId: optionalText },
        { additionalProperties: false },
      ),
    ),
    allegro: Type.Optional(
      Type.Object(
        {
          ...marketplaceFields,
          clientId: optionalText,
          clientSecret: optionalText,
          authURL: optionalText,
          siteURL: optionalText,
        },
        { additionalProperties: false },
      ),
    ),
    amazon: Type.Optional(
      Type.Object(
        {
          ...marketplaceFields,
          accessKey: optionalText,
          secretKey: optionalText,
          partnerTag: optionalText,
          host: optionalText,
          region: optionalText,
          marketplace: optionalText,
        },
        { additionalProperties: false },
      ),
    ),
    olx: Type.Optional(
      Type.Object(
        { ...marketplaceFields, clientId: optionalText, clientSecret: optionalText, refreshToken: optionalText },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Where the gift finder's profile analysis reads the public profile pages a user links. */
const GiftFinderProfileSchema = Type.Object(
  {
    /** `fetch` (default): Switchyard reads the pages itself, under the web app's fetch rules; `brightdata`: through Bright Data's Web Unlocker API. */
    source: Type.Optional(Type.Union([Type.Literal('fetch'), Type.Literal('brightdata')])),
    /** Characters of text kept per page; default 20000. */
    maxChars: Type.Optional(positiveInteger),
    brightdata: Type.Optional(
      Type.Object(
        {
          /** A Bright Data API key (account settings → API keys), sent as a Bearer token. */
          apiToken: Type.String({ minLength: 1 }),
          /** The Web Unlocker zone's name, as in the control panel. */
          zone: Type.String({ minLength: 1 }),
          /** Default https://api.brightdata.com. */
          baseURL: Type.Optional(Type.String({ minLength: 1 })),
          /** Per page; default 60 s (an unlock can retry through several proxies). */
          timeoutMs: Type.Optional(positiveInteger),
          /** Two-letter country the page is fetched from; default: Bright Data chooses. */
          country: Type.Optional(Type.String({ pattern: '^[a-z]{2}$' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The gift finder app (docs/gift-finder.md): its models, limits and per-marketplace fetch limits. */
const GiftFinderSchema = Type.Object(
  {
    profile: Type.Optional(GiftFinderProfileSchema),
    enabled: Type.Optional(Type.Boolean()),
    /** The model of every step unless `models` names another; default the `defaultModel`. */
    model: optionalText,
    models: Type.Optional(
      Type.Object(
        { interview: optionalText, profile: optionalText, ideas: optionalText, rerank: optionalText },
        { additionalProperties: false },
      ),
    ),
    /** Questions before the interview must sum up; default 5. */
    maxQuestions: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** Ideas the model is asked for; default 5. */
    maxIdeas: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** Model calls per step when the answer is not the JSON asked for; default 3. */
    modelAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    /** Prices per million tokens, for the cost shown per session. */
    prices: Type.Optional(
      Type.Array(
        Type.Object(
          {
            model: Type.String({ minLength: 1 }),
            promptPerMillion: Type.Number({ minimum: 0 }),
            completionPerMillion: Type.Number({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** Server mode: each service's handlers run as its own PostgreSQL role (set up by `switchyard migrate`). */
    serviceRoles: Type.Optional(Type.Boolean()),
    /** Per marketplace (ebay, allegro, amazon, olx): products per idea and a time limit for its whole search. */
    fetch: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object(
          {
            productsPerIdea: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
            timeoutMs: Type.Optional(positiveInteger),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** A marketplace's Retry-After longer than this marks it rate_limited instead of retrying later; default 60. */
    maxRetryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The product image proxy: largest image served (default 5 MiB) and bytes kept in memory (default 64 MiB; 0: none). */
    images: Type.Optional(
      Type.Object(
        {
          maxBytes: Type.Optional(positiveInteger),
          cacheBytes: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const environmentList = Type.Array(Type.Union([Type.Literal('prod'), Type.Literal('dev')]), {
  minItems: 1,
  uniqueItems: true,
});

/** Switches for one built-in app; every one is on in both environments unless said otherwise. */
const builtinAppFields = {
  enabled: Type.Optional(Type.Boolean()),
  environments: Type.Optional(environmentList),
  timeoutMs: Type.Optional(positiveInteger),
  maxOutputBytes: Type.Optional(positiveInteger),
};

const BuiltinAppsSchema = Type.Object(
  {
    web: Type.Optional(
      Type.Object(
        {
          ...builtinAppFields,
          /** Private networks (CIDR) the fetch skill may reach anyway, e.g. a self-hoster's LAN; default none. */
          allowedNetworks: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Largest page body read by the fetch skill; default 2 MiB. */
          fetchMaxBytes: Type.Optional(positiveInteger),
          /** Per page fetch, redirects included; default 15 s. */
          fetchTimeoutMs: Type.Optional(positiveInteger),
        },
        { additionalProperties: false },
      ),
    ),
    images: Type.Optional(Type.Object(builtinAppFields, { additionalProperties: false })),
    files: Type.Optional(Type.Object(builtinAppFields, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const FileSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          /** The address users reach Switchyard at: reset links and OAuth callbacks are built from it. */
          publicUrl: Type.Optional(Type.String({ minLength: 1 })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          bodyLimitBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          trustProxy: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
          fastPath: Type.Optional(Type.Boolean()),
          /** Browser origins allowed to call the key-authenticated API (CORS); `*` for any. Default none. */
          corsOrigins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          allowAnonymous: Type.Optional(Type.Boolean()),
          allowSignUp: Type.Optional(Type.Boolean()),
          /** While no admin exists, the first account made becomes admin (default true). */
          firstUserAdmin: Type.Optional(Type.Boolean()),
          /** How long a project invitation's link works (hours, default 168: a week). */
          projectInvitationTtlHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 2160 })),
          /** How many projects one user may own (default 100). */
          maxOwnedProjects: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          /** Other origins (a separate web front end) allowed to send cookie-authenticated requests. */
          trustedOrigins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          github: Type.Optional(OAuthClientSchema),
          google: Type.Optional(OAuthClientSchema),
        },
        { additionalProperties: false },
      ),
    ),
    smtp: Type.Optional(SmtpSchema),
    ollama: Type.Optional(
      Type.Object(
        { autodetect: Type.Optional(Type.Boolean()), baseURL: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    providers: Type.Optional(Type.Array(ProviderSchema)),
    models: Type.Optional(Type.Array(ModelSchema)),
    defaultModel: Type.Optional(Type.String()),
    routing: Type.Optional(RoutingSchema),
    cache: Type.Optional(CacheSchema),
    imageModels: Type.Optional(Type.Array(ImageModelSchema)),
    defaultImageModel: Type.Optional(Type.String()),
    audioModels: Type.Optional(Type.Array(AudioModelSchema)),
    apps: Type.Optional(Type.Array(AppSchema)),
    webSearch: Type.Optional(WebSearchSchema),
    builtinApps: Type.Optional(BuiltinAppsSchema),
    /** Apps that projects' admins add: their URLs reach public addresses only, except these networks (CIDR). */
    projectApps: Type.Optional(
      Type.Object(
        { allowedNetworks: Type.Optional(Type.Array(Type.String({ minLength: 1 }))) },
        { additionalProperties: false },
      ),
    ),
    marketplaces: Type.Optional(MarketplacesSchema),
    giftFinder: Type.Optional(GiftFinderSchema),
    whatsapp: Type.Optional(WhatsAppFileSchema),
    /** Price per model id (chat, embedding, image and audio models alike). */
    prices: Type.Optional(Type.Record(Type.String({ minLength: 1 }), ModelPriceSchema)),
    billing: Type.Optional(BillingSchema),
    /** How long finished jobs stay readable (`GET /v1/chat/jobs/:id`, the admin console). */
    jobs: Type.Optional(
      Type.Object(
        {
          retainCompletedHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 365 })),
          retainCompletedCount: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** SIGTERM: how long /ready answers 503 while requests are still served, then how long in-flight ones may take. */
    shutdown: Type.Optional(
      Type.Object(
        {
          drainDelaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
          timeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ProviderEntry = Static<typeof ProviderSchema>;
export type ModelPrice = Static<typeof ModelPriceSchema>;
export type ModelEntry = Static<typeof ModelSchema>;
export type DeploymentEntry = Static<typeof DeploymentSchema>;
export type ImageModelEntry = Static<typeof ImageModelSchema>;
export type AudioModelEntry = Static<typeof AudioModelSchema>;
export type AppEntry = Static<typeof AppSchema>;
export type FocusModeEntry = Static<typeof FocusModeSchema>;
export type WebSearchConfig = Static<typeof WebSearchSchema>;
export type BuiltinAppsConfig = Static<typeof BuiltinAppsSchema>;
export type MarketplacesConfigEntry = Static<typeof MarketplacesSchema>;
export type GiftFinderConfig = Static<typeof GiftFinderSchema>;

/** Object storage: a directory on disk (embedded) or an S3-compatible bucket (server mode, MinIO). */
export type StorageConfig =
  | { readonly kind: 'disk'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly endpoint: string | null;
      readonly bucket: string;
      readonly region: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly forcePathStyle: boolean;
    };

export interface RoutingConfig {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly deadlineMs: number;
}

export interface CacheConfig {
  readonly enabled: boolean;
  readonly mode: 'deterministic' | 'all';
  readonly maxEntries: number;
  readonly maxEntryBytes: number;
}

export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface AccountsConfig {
  /** Whether anyone may create an account with email and password (the first admin comes from the CLI). */
  readonly allowSignUp: boolean;
  /** While nobody is admin, the first account created (sign-up or OAuth) becomes admin. */
  readonly firstUserAdmin: boolean;
  /** How long a project invitation's link works, in hours. */
  readonly projectInvitationTtlHours: number;
  /** How many projects one user may own. */
  readonly maxOwnedProjects: number;
  readonly trustedOrigins: readonly string[];
  readonly github: OAuthClientConfig | null;
  readonly google: OAuthClientConfig | null;
}

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string | null;
  readonly password: string | null;
  readonly from: string;
}

export interface SwitchyardConfig {
  readonly configPath: string | null;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean | string;
  /**
   * `SWITCHYARD_FAST_PATH` / `server.fastPath` (default on): `POST /v1/chat/completions` is served from the
   * HTTP server's request handler with the same rules, without Fastify's pipeline (edge/fast-path.ts).
   */
  readonly fastPath?: boolean;
  readonly logLevel: string;
  readonly databaseUrl: string | null;
  readonly devDatabaseUrl: string | null;
  readonly redisUrl: string | null;
  /** `EVENTS_URL`: the event bus backend, `redis://…` or `amqp://…`; null keeps events in the database. */
  readonly eventsUrl: string | null;
  readonly metricsToken: string | null;
  readonly allowAnonymous: boolean;
  /** `PUBLIC_URL` / `server.publicUrl`: an origin such as https://ai.example.com, or null (loopback only). */
  readonly publicUrl: string | null;
  /** `CORS_ORIGINS` / `server.corsOrigins`: origins (or `*`) that may call /v1 and /mcp from a browser. */
  readonly corsOrigins: readonly string[];
  /** `AUTH_SECRET`: signs session cookies. Embedded mode generates one in the data dir when unset. */
  readonly authSecret: string | null;
  readonly accounts: AccountsConfig;
  /** Where password-reset mail goes out; null logs the link instead. */
  readonly smtp: SmtpConfig | null;
  readonly ollama: { readonly autodetect: boolean; readonly baseURL: string };
  readonly providers: readonly ProviderEntry[];
  readonly models: readonly ModelEntry[];
  readonly defaultModel: string | null;
  readonly routing: RoutingConfig;
  readonly cache: CacheConfig;
  readonly imageModels: readonly ImageModelEntry[];
  readonly defaultImageModel: string | null;
  /** Speech-to-text and text-to-speech models (`audioModels:` in the config file). */
  readonly audioModels: readonly AudioModelEntry[];
  /** Apps from the config file (MCP servers); built-in apps are always there. */
  readonly apps: readonly AppEntry[];
  /** The web-search provider of the `web` app's search skill; null: the skill is not offered. */
  readonly webSearch: WebSearchConfig | null;
  /** Switches and limits of the built-in apps (web, images, files); all on by default. */
  readonly builtinApps: BuiltinAppsConfig;
  /** Projects' own apps (`projectApps:`): the private networks they may reach anyway (default none). */
  readonly projectApps: { readonly allowedNetworks: readonly string[] };
  /** Marketplace APIs (`marketplaces:`); the gift finder searches the ones configured. */
  readonly marketplaces: MarketplacesConfigEntry;
  /** The gift finder app (`giftFinder:`); defaults when absent. */
  readonly giftFinder: GiftFinderConfig;
  /** The WhatsApp Business Cloud API per environment, its webhook and the bot; null: messaging is off. */
  readonly whatsapp?: WhatsAppConfig | null;
  readonly storage: StorageConfig;
  /** `prices:`: what each model costs (USD); a model without an entry costs nothing. */
  readonly prices: Readonly<Record<string, ModelPrice>>;
  /** The plan webhook: `BILLING_WEBHOOK_SECRET` / `billing.webhookSecret` (null: the webhook is off). */
  readonly billing: { readonly webhookSecret: string | null; readonly webhookToleranceSeconds: number };
  /**
   * `jobs:`: completed jobs stay readable this long (both modes) and, in server mode, at most this many per
   * job name (BullMQ keeps them in Redis memory). Defaults: 24 h, 10,000.
   */
  readonly jobs: { readonly retainCompletedHours: number; readonly retainCompletedCount: number };
  /**
   * On SIGTERM, /ready answers 503 for this long while the server still accepts and serves requests, so a
   * proxy's health check takes it out of rotation before it stops accepting (`SHUTDOWN_DRAIN_DELAY_SECONDS`,
   * `shutdown.drainDelaySeconds`; default 5 s; 0 stops accepting at once).
   */
  readonly shutdownDrainDelayMs: number;
  /** Then in-flight requests and streams get this long before their connections are closed (`SHUTDOWN_TIMEOUT_MS`). */
  readonly shutdownTimeoutMs: number;
  /** Access log, log file and OpenTelemetry tracing (observability-config.ts). */
  readonly observability?: ObservabilityConfig;
  /**
   * Values that `${VARIABLE}` substitution put into provider and image-model settings: scrubbed from
   * errors and logs like keys (see secrets.ts), whatever field they landed in.
   */
  readonly substitutedSecrets?: readonly string[];
  /** `VAULT_ADDR` and its auth: where `${vault:…}` references are read (and read again to pick up rotations). */
  readonly vault?: VaultSettings | null;
  /** `switchyard backup` and the scheduled backups (docs/operations.md#backups). */
  readonly backup: BackupConfig;
}

export interface BackupConfig {
  /** `BACKUP_DIR`: where backups are written and pruned; default `<data dir>/backups`. */
  readonly dir: string;
  /** `BACKUP_SCHEDULE`: cron (UTC) of the scheduled backup; null (`off`) turns it off. Default `30 2 * * *`. */
  readonly schedule: string | null;
  /** Backups kept: the newest of each of the last N days, weeks and months (`BACKUP_KEEP_DAILY` …). */
  readonly keepDaily: number;
  readonly keepWeekly: number;
  readonly keepMonthly: number;
  /** `PG_BIN_DIR`: where pg_dump and pg_restore are; default the PATH. */
  readonly pgBinDir: string | null;
}

/** What loadConfig needs beyond the environment: values already fetched from Vault. */
export interface LoadConfigOptions {
  readonly vaultValues?: VaultValues;
}

export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/**
 * Replaces `${NAME}` (and `${NAME:-fallback}`) with environment variables; a missing one is an error.
 * `substituted` collects the variables' values that went in.
 */
export function interpolateEnvironment(
  text: string,
  variables: EnvironmentVariables,
  source: string,
  substituted?: string[],
): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
    const value = variables[name];
    if (value !== undefined && value !== '') {
      substituted?.push(value);
      return value;
    }
    if (fallback !== undefined) return fallback;
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: environment variable ${name} is not set`);
  });
}

function parseInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be a non-negative integer, got '${raw}'`);
  }
  return value;
}

const eventsUrlSchemes = ['redis:', 'rediss:', 'amqp:', 'amqps:'];

function parseEventsUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'EVENTS_URL is not a URL');
  }
  if (!eventsUrlSchemes.includes(protocol)) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `EVENTS_URL must start with redis://, rediss://, amqp:// or amqps:// (unset keeps events in the database); got '${protocol}'`,
    );
  }
  return raw;
}

function parsePublicUrl(raw: string | undefined, source: string): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source} is not a URL: '${raw}'`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `${source} must be an http(s) origin without a path, such as https://ai.example.com; got '${raw}'`,
    );
  }
  return url.origin;
}

function parseCorsOrigins(raw: readonly string[] | undefined, source: string): string[] {
  const origins = (raw ?? []).map((origin) => origin.trim()).filter((origin) => origin !== '');
  return origins.map((origin) => (origin === '*' ? '*' : (parsePublicUrl(origin, source) as string)));
}

function parseWebhookSecret(raw: string | undefined): string | null {
  if (!raw) return null;
  if (raw.length < 16) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'BILLING_WEBHOOK_SECRET must be at least 16 characters long');
  }
  return raw;
}

function parseAuthSecret(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  // Shorter secrets make forged session cookies feasible to brute-force.
  if (raw.length < 32) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      'AUTH_SECRET must be at least 32 characters; generate one with: openssl rand -base64 32',
    );
  }
  return raw;
}

const defaultMailFrom = 'Switchyard <switchyard@localhost>';

/** `SMTP_URL` (smtp://user:password@host:587 or smtps://…:465) wins over the file's `smtp` section. */
function parseSmtp(
  url: string | undefined,
  from: string | undefined,
  file: Static<typeof SmtpSchema> | undefined,
): SmtpConfig | null {
  if (url !== undefined && url !== '') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'SMTP_URL is not a URL (smtp://user:password@host:587)');
    }
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'SMTP_URL must start with smtp:// or smtps://');
    }
    const secure = parsed.protocol === 'smtps:';
    return {
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
      secure,
      user: parsed.username ? decodeURIComponent(parsed.username) : null,
      password: parsed.password ? decodeURIComponent(parsed.password) : null,
      from: from || file?.from || defaultMailFrom,
    };
  }
  if (!file) return null;
  const secure = file.secure ?? file.port === 465;
  return {
    host: file.host,
    port: file.port ?? (secure ? 465 : 587),
    secure,
    user: file.user || null,
    password: file.password || null,
    from: from || file.from || defaultMailFrom,
  };
}

function describeSchemaErrors(value: unknown): string {
  return Value.Errors(FileSchema, value)
    .slice(0, 5)
    .map((error) => `${error.instancePath || '/'} ${error.message}`)
    .join('; ');
}

/** Fields of a provider or image model that name things rather than hold credentials. */
const namingFields = new Set(['id', 'type', 'model', 'upstreamModel', 'label', 'workflowFile']);

/** The values substituted into provider and image-model settings, outside their naming fields. */
function upstreamSubstitutions(parsed: unknown, variables: EnvironmentVariables, path: string): string[] {
  const substituted: string[] = [];
  const walk = (value: unknown, field: string | null): void => {
    if (typeof value === 'string') {
      if (field === null || !namingFields.has(field)) interpolateEnvironment(value, variables, path, substituted);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, field);
    } else if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) walk(inner, name);
    }
  };
  const file = parsed as {
    providers?: unknown;
    imageModels?: unknown;
    audioModels?: unknown;
    webSearch?: unknown;
    giftFinder?: unknown;
  } | null;
  for (const section of [file?.providers, file?.imageModels, file?.audioModels]) {
    if (Array.isArray(section)) for (const entry of section) walk(entry, null);
  }
  // Apps' credentials: an HTTP app's signing secret, headers and a stdio server's environment.
  const apps = (parsed as { apps?: unknown } | null)?.apps;
  if (Array.isArray(apps)) {
    for (const app of apps as Array<Record<string, unknown> | null>) {
      for (const field of ['secret', 'headers', 'env']) if (app?.[field] !== undefined) walk(app[field], field);
    }
  }
  if (file?.webSearch) walk(file.webSearch, null);
  if (file?.giftFinder) walk(file.giftFinder, null);
  const whatsapp = (parsed as { whatsapp?: unknown } | null)?.whatsapp;
  if (whatsapp) walk(whatsapp, null);
  return substituted;
}

function readConfigFile(
  path: string,
  variables: EnvironmentVariables,
  vaultValues: VaultValues | undefined,
): Static<typeof FileSchema> & { substitutedSecrets?: string[] } {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${path}: not valid YAML (${(error as Error).message})`);
  }
  if (parsed === null || parsed === undefined) return {};
  // Interpolate after parsing, string by string, so a secret can never break the YAML structure.
  // Every value read from Vault is a secret wherever it lands.
  const fromVault: string[] = [];
  const interpolated = JSON.parse(JSON.stringify(parsed), (_key, value: unknown) =>
    typeof value === 'string'
      ? interpolateEnvironment(interpolateVault(value, vaultValues, path, fromVault), variables, path)
      : value,
  ) as unknown;
  if (!Value.Check(FileSchema, interpolated)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${path}: ${describeSchemaErrors(interpolated)}`);
  }
  return { ...interpolated, substitutedSecrets: [...upstreamSubstitutions(parsed, variables, path), ...fromVault] };
}

function checkGiftFinder(giftFinder: GiftFinderConfig | undefined, source: string): void {
  const profile = giftFinder?.profile;
  if (profile?.source === 'brightdata' && !profile.brightdata) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `${source}: giftFinder.profile.source brightdata needs giftFinder.profile.brightdata (apiToken, zone)`,
    );
  }
  const baseURL = profile?.brightdata?.baseURL;
  if (baseURL !== undefined) {
    let url: URL;
    try {
      url = new URL(baseURL);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: giftFinder.profile.brightdata.baseURL is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: giftFinder.profile.brightdata.baseURL must be http(s)`,
      );
    }
  }
}

/** Built-in apps' ids are taken; an MCP app names exactly one way to reach it, an HTTP app its baseURL and secret. */
export const builtinAppIds: readonly string[] = ['web', 'images', 'files'];

function checkApps(apps: readonly AppEntry[], source: string): void {
  const seen = new Set<string>();
  for (const app of apps) {
    if (builtinAppIds.includes(app.id)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: app id '${app.id}' is a built-in app's`);
    }
    if (seen.has(app.id)) throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: app '${app.id}' appears twice`);
    seen.add(app.id);
    const modes = new Set<string>();
    for (const mode of app.focusModes ?? []) {
      if (modes.has(mode.id)) {
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `${source}: app '${app.id}' focus mode '${mode.id}' appears twice`,
        );
      }
      modes.add(mode.id);
    }
    if (app.type === 'http') {
      const stray = (['command', 'env', 'cwd', 'url'] as const).find((field) => app[field] !== undefined);
      if (stray) {
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `${source}: app '${app.id}' is type http: it takes baseURL and secret, not ${stray}`,
        );
      }
      if (app.baseURL === undefined || app.secret === undefined) {
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `${source}: app '${app.id}' (type http) needs baseURL and secret`,
        );
      }
      checkAppUrl(app.id, 'baseURL', app.baseURL, source);
      continue;
    }
    if (app.baseURL !== undefined || app.secret !== undefined) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: app '${app.id}' is type mcp: baseURL and secret are for type http`,
      );
    }
    if ((app.command === undefined) === (app.url === undefined)) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: app '${app.id}' needs exactly one of command (stdio) or url (Streamable HTTP)`,
      );
    }
    if (app.url !== undefined) checkAppUrl(app.id, 'url', app.url, source);
  }
}

function checkAppUrl(id: string, field: string, value: string, source: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: app '${id}' ${field} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: app '${id}' ${field} must be http or https`);
  }
}

function checkWebSearch(webSearch: WebSearchConfig | undefined, source: string): void {
  if (!webSearch) return;
  if (webSearch.type === 'searxng' && !webSearch.baseURL) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: webSearch of type searxng needs a baseURL`);
  }
  if (webSearch.type !== 'searxng' && !webSearch.apiKey) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: webSearch of type ${webSearch.type} needs an apiKey`);
  }
  if (webSearch.baseURL) {
    let url: URL;
    try {
      url = new URL(webSearch.baseURL);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: webSearch baseURL is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: webSearch baseURL must be http(s)`);
    }
  }
}

function checkReferences(providers: readonly ProviderEntry[], models: readonly ModelEntry[], source: string): void {
  const providerIds = new Set<string>();
  for (const provider of providers) {
    if (providerIds.has(provider.id)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider id '${provider.id}' is used twice`);
    }
    providerIds.add(provider.id);
    // Anthropic and Gemini have well-known default endpoints; the others have no sensible default.
    if ((provider.type === 'openai-compatible' || provider.type === 'ollama') && !provider.baseURL) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider '${provider.id}' needs a baseURL`);
    }
    if (provider.baseURL) {
      let url: URL;
      try {
        url = new URL(provider.baseURL);
      } catch {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider '${provider.id}' baseURL is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider '${provider.id}' baseURL must be http(s)`);
      }
    }
  }
  const modelNames = new Set<string>(['echo']);
  for (const model of models) {
    for (const name of [model.id, ...(model.aliases ?? [])]) {
      if (modelNames.has(name) && !(name === 'echo' && model.id === 'echo')) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: model id or alias '${name}' is used twice`);
      }
      modelNames.add(name);
    }
    if (!model.provider && !model.deployments) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: model '${model.id}' needs a provider or deployments`);
    }
    if (model.provider && model.deployments) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: model '${model.id}' has both provider and deployments; use one`,
      );
    }
    const named = model.deployments?.map((deployment) => deployment.provider) ?? [model.provider ?? ''];
    for (const providerId of named) {
      if (!providerIds.has(providerId) && providerId !== 'echo') {
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `${source}: model '${model.id}' names unknown provider '${providerId}'`,
        );
      }
    }
  }
  for (const model of models) {
    for (const fallback of model.fallbacks ?? []) {
      if (!modelNames.has(fallback)) {
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `${source}: model '${model.id}' falls back to unknown model '${fallback}'`,
        );
      }
      if (fallback === model.id) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: model '${model.id}' cannot fall back to itself`);
      }
    }
  }
  for (const provider of providers) {
    if (provider.apiKey !== undefined && provider.apiKeys !== undefined) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: provider '${provider.id}' has both apiKey and apiKeys; use one`,
      );
    }
    if (provider.proxy !== undefined) {
      let url: URL;
      try {
        url = new URL(provider.proxy);
      } catch {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider '${provider.id}' proxy is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider '${provider.id}' proxy must be http(s)`);
      }
    }
  }
}

/**
 * Reads configuration once at boot: environment variables plus the optional
 * YAML file. The result is frozen; nothing else in Switchyard reads process.env.
 */
export function loadConfig(
  rawVariables: EnvironmentVariables,
  cwd = process.cwd(),
  options: LoadConfigOptions = {},
): SwitchyardConfig {
  const vaultSubstituted: string[] = [];
  const variables = resolveVariableReferences(
    applySecretFiles(rawVariables, referencedVariables(configFileText(rawVariables, cwd))),
    options.vaultValues,
    vaultSubstituted,
  );
  const explicitPath = variables.SWITCHYARD_CONFIG;
  const configPath = resolve(cwd, explicitPath ?? 'switchyard.config.yaml');
  if (explicitPath && !existsSync(configPath)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `SWITCHYARD_CONFIG points at ${configPath}, which does not exist`);
  }
  const file = existsSync(configPath) ? readConfigFile(configPath, variables, options.vaultValues) : {};
  const source = existsSync(configPath) ? configPath : 'configuration';
  const providers = file.providers ?? [];
  const models = file.models ?? [];
  checkReferences(providers, models, source);
  checkImageModels(file.imageModels ?? [], file.defaultImageModel ?? null, source);
  checkAudioModels(file.audioModels ?? [], source);
  checkApps(file.apps ?? [], source);
  checkWebSearch(file.webSearch, source);
  checkGiftFinder(file.giftFinder, source);
  if (
    file.defaultModel &&
    !models.some((model) => model.id === file.defaultModel || model.aliases?.includes(file.defaultModel ?? '')) &&
    file.defaultModel !== 'echo'
  ) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: defaultModel '${file.defaultModel}' is not a model`);
  }
  const trustProxyVariable = variables.TRUST_PROXY;
  const config: SwitchyardConfig = {
    configPath: existsSync(configPath) ? configPath : null,
    host: variables.HOST || file.server?.host || '127.0.0.1',
    port: parseInteger('PORT', variables.PORT, file.server?.port ?? 8080),
    dataDir: resolve(cwd, variables.SWITCHYARD_DATA_DIR || './data'),
    bodyLimitBytes: parseInteger(
      'BODY_LIMIT_BYTES',
      variables.BODY_LIMIT_BYTES,
      file.server?.bodyLimitBytes ?? 1_048_576,
    ),
    trustProxy:
      trustProxyVariable === undefined || trustProxyVariable === ''
        ? (file.server?.trustProxy ?? false)
        : trustProxyVariable === 'true'
          ? true
          : trustProxyVariable === 'false'
            ? false
            : trustProxyVariable,
    fastPath:
      variables.SWITCHYARD_FAST_PATH === undefined || variables.SWITCHYARD_FAST_PATH === ''
        ? (file.server?.fastPath ?? true)
        : !['0', 'false', 'off', 'no'].includes(variables.SWITCHYARD_FAST_PATH.toLowerCase()),
    logLevel: variables.LOG_LEVEL || 'info',
    observability: parseObservabilityConfig(variables),
    databaseUrl: variables.DATABASE_URL || null,
    devDatabaseUrl: variables.DEV_DATABASE_URL || null,
    redisUrl: variables.REDIS_URL || null,
    eventsUrl: parseEventsUrl(variables.EVENTS_URL),
    metricsToken: variables.METRICS_TOKEN || null,
    allowAnonymous: file.auth?.allowAnonymous ?? true,
    publicUrl: variables.PUBLIC_URL
      ? parsePublicUrl(variables.PUBLIC_URL, 'PUBLIC_URL')
      : parsePublicUrl(file.server?.publicUrl, `${source}: server.publicUrl`),
    corsOrigins: parseCorsOrigins(
      variables.CORS_ORIGINS ? variables.CORS_ORIGINS.split(',') : file.server?.corsOrigins,
      variables.CORS_ORIGINS ? 'CORS_ORIGINS' : `${source}: server.corsOrigins`,
    ),
    authSecret: parseAuthSecret(variables.AUTH_SECRET),
    accounts: {
      allowSignUp: file.auth?.allowSignUp ?? true,
      firstUserAdmin: file.auth?.firstUserAdmin ?? true,
      projectInvitationTtlHours: file.auth?.projectInvitationTtlHours ?? 168,
      maxOwnedProjects: file.auth?.maxOwnedProjects ?? 100,
      trustedOrigins: (file.auth?.trustedOrigins ?? []).map((origin) =>
        parsePublicUrl(origin, `${source}: auth.trustedOrigins`),
      ) as string[],
      github: file.auth?.github ?? null,
      google: file.auth?.google ?? null,
    },
    smtp: parseSmtp(variables.SMTP_URL, variables.SMTP_FROM, file.smtp),
    ollama: {
      autodetect: file.ollama?.autodetect ?? true,
      baseURL: variables.OLLAMA_BASE_URL || file.ollama?.baseURL || 'http://127.0.0.1:11434',
    },
    providers,
    models,
    defaultModel: file.defaultModel ?? null,
    imageModels: file.imageModels ?? [],
    defaultImageModel: file.defaultImageModel ?? file.imageModels?.[0]?.id ?? null,
    audioModels: file.audioModels ?? [],
    apps: file.apps ?? [],
    webSearch: file.webSearch ?? null,
    builtinApps: file.builtinApps ?? {},
    projectApps: { allowedNetworks: file.projectApps?.allowedNetworks ?? [] },
    marketplaces: file.marketplaces ?? {},
    giftFinder: file.giftFinder ?? {},
    whatsapp: parseWhatsAppConfig(file.whatsapp, source),
    storage: storageConfig(variables, resolve(cwd, variables.SWITCHYARD_DATA_DIR || './data')),
    prices: file.prices ?? {},
    jobs: {
      retainCompletedHours: file.jobs?.retainCompletedHours ?? 24,
      retainCompletedCount: file.jobs?.retainCompletedCount ?? 10_000,
    },
    billing: {
      webhookSecret: parseWebhookSecret(variables.BILLING_WEBHOOK_SECRET) ?? file.billing?.webhookSecret ?? null,
      webhookToleranceSeconds: file.billing?.webhookToleranceSeconds ?? 300,
    },
    routing: {
      maxAttempts: file.routing?.maxAttempts ?? 2,
      baseDelayMs: file.routing?.baseDelayMs ?? 250,
      maxDelayMs: file.routing?.maxDelayMs ?? 8_000,
      deadlineMs: file.routing?.deadlineMs ?? 120_000,
    },
    cache: {
      enabled: file.cache?.enabled ?? true,
      mode: file.cache?.mode ?? 'deterministic',
      maxEntries: file.cache?.maxEntries ?? 10_000,
      maxEntryBytes: file.cache?.maxEntryBytes ?? 1_048_576,
    },
    shutdownDrainDelayMs:
      parseInteger(
        'SHUTDOWN_DRAIN_DELAY_SECONDS',
        variables.SHUTDOWN_DRAIN_DELAY_SECONDS,
        file.shutdown?.drainDelaySeconds ?? 5,
      ) * 1000,
    shutdownTimeoutMs: parseInteger(
      'SHUTDOWN_TIMEOUT_MS',
      variables.SHUTDOWN_TIMEOUT_MS,
      (file.shutdown?.timeoutSeconds ?? 10) * 1000,
    ),
    substitutedSecrets: [...(file.substitutedSecrets ?? []), ...vaultSubstituted],
    vault: vaultSettings(variables),
    backup: {
      dir: resolve(cwd, variables.BACKUP_DIR || resolve(cwd, variables.SWITCHYARD_DATA_DIR || './data', 'backups')),
      schedule: parseBackupSchedule(variables.BACKUP_SCHEDULE),
      keepDaily: parseInteger('BACKUP_KEEP_DAILY', variables.BACKUP_KEEP_DAILY, 7),
      keepWeekly: parseInteger('BACKUP_KEEP_WEEKLY', variables.BACKUP_KEEP_WEEKLY, 4),
      keepMonthly: parseInteger('BACKUP_KEEP_MONTHLY', variables.BACKUP_KEEP_MONTHLY, 6),
      pgBinDir: variables.PG_BIN_DIR || null,
    },
  };
  if ((config.databaseUrl === null) !== (config.devDatabaseUrl === null)) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      'Server mode needs both DATABASE_URL (prod) and DEV_DATABASE_URL (dev); set both or neither',
    );
  }
  return deepFreeze(config);
}

function checkImageModels(models: readonly ImageModelEntry[], defaultModel: string | null, source: string): void {
  const ids = new Set<string>();
  for (const model of models) {
    if (ids.has(model.id))
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: image model '${model.id}' is used twice`);
    ids.add(model.id);
    let url: URL;
    try {
      url = new URL(model.baseURL);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: image model '${model.id}' baseURL is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: image model '${model.id}' baseURL must be http(s)`);
    }
  }
  if (defaultModel !== null && models.length > 0 && !ids.has(defaultModel)) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `${source}: defaultImageModel '${defaultModel}' is not an image model`,
    );
  }
}

function checkAudioModels(models: readonly AudioModelEntry[], source: string): void {
  const ids = new Set<string>();
  for (const model of models) {
    const name = `${source}: audio model '${model.id}'`;
    if (ids.has(model.id)) throw new SwitchyardError('SY_ERR_VALIDATION', `${name} is used twice`);
    ids.add(model.id);
    let url: URL;
    try {
      url = new URL(model.baseURL);
    } catch {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${name} baseURL is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${name} baseURL must be http(s)`);
    }
    if (model.type === 'whisper-cpp' && model.kind === 'speech') {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${name}: whisper.cpp only transcribes; kind must be transcription`,
      );
    }
  }
}

function storageConfig(variables: EnvironmentVariables, dataDir: string): StorageConfig {
  if (!variables.S3_BUCKET) return { kind: 'disk', root: resolve(dataDir, 'objects') };
  const accessKeyId = variables.S3_ACCESS_KEY_ID;
  const secretAccessKey = variables.S3_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      'S3_BUCKET is set: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are needed too',
    );
  }
  const endpoint = variables.S3_ENDPOINT || null;
  return {
    kind: 's3',
    endpoint,
    bucket: variables.S3_BUCKET,
    region: variables.S3_REGION || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    // MinIO and most self-hosted S3 servers need path-style addressing.
    forcePathStyle: variables.S3_FORCE_PATH_STYLE ? variables.S3_FORCE_PATH_STYLE === 'true' : endpoint !== null,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Environment variables may hold Vault references too (`OPENAI_API_KEY='${vault:secret/data/switchyard#openai_key}'`). */
function resolveVariableReferences(
  variables: EnvironmentVariables,
  vaultValues: VaultValues | undefined,
  substituted: string[],
): EnvironmentVariables {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(variables)) {
    result[name] = value?.includes('${vault:') ? interpolateVault(value, vaultValues, name, substituted) : value;
  }
  return result;
}

/** The config file loadConfig would read, or null. */
function configFileText(variables: EnvironmentVariables, cwd: string): string | null {
  const path = resolve(cwd, variables.SWITCHYARD_CONFIG ?? 'switchyard.config.yaml');
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

const reloadInputs = new WeakMap<SwitchyardConfig, { variables: EnvironmentVariables; cwd: string }>();

/**
 * loadConfig with the secrets it references fetched first: `NAME_FILE` files and `${vault:path#field}`
 * references in the environment and the config file (KV v2, token or AppRole auth; see
 * docs/operations.md#secrets). What the server and the CLI call at start.
 */
export async function loadConfigWithSecrets(
  variables: EnvironmentVariables,
  cwd = process.cwd(),
  fetchImpl: typeof fetch = fetch,
): Promise<SwitchyardConfig> {
  const rawText = configFileText(variables, cwd);
  const expanded = applySecretFiles(variables, referencedVariables(rawText));
  // Comments may mention the syntax; only references in YAML values count.
  const text = configFileText(expanded, cwd);
  const fileReferences = text === null ? [] : findVaultReferences(yamlStrings(text));
  const references = [...findVaultReferences(Object.values(expanded)), ...fileReferences];
  let vaultValues: VaultValues | undefined;
  if (references.length > 0) {
    const settings = vaultSettings(expanded);
    if (!settings) {
      const first = references[0];
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `The configuration references Vault (${first?.path}#${first?.field}) but VAULT_ADDR is not set`,
      );
    }
    vaultValues = await createVaultClient(settings, fetchImpl).resolve(references);
  }
  const config = loadConfig(variables, cwd, vaultValues ? { vaultValues } : {});
  reloadInputs.set(config, { variables, cwd });
  return config;
}

/** Loads the configuration again from the same inputs, with Vault read anew (a rotated secret). */
export async function reloadConfig(
  config: SwitchyardConfig,
  fetchImpl: typeof fetch = fetch,
): Promise<SwitchyardConfig> {
  const input = reloadInputs.get(config);
  if (!input)
    throw new SwitchyardError('SY_ERR_INTERNAL', 'this configuration was not loaded by loadConfigWithSecrets');
  const fresh = await loadConfigWithSecrets(input.variables, input.cwd, fetchImpl);
  return fresh;
}

/** Whether the configuration references Vault anywhere (so a refresh can change it). */
export function usesVault(config: SwitchyardConfig): boolean {
  return config.vault !== null && config.vault !== undefined && reloadInputs.has(config);
}

function yamlStrings(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return []; // loadConfig reports the YAML error
  }
  const strings: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value !== null && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
  };
  walk(parsed);
  return strings;
}

function parseBackupSchedule(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return '30 2 * * *';
  if (raw === 'off' || raw === 'false') return null;
  if (raw.trim().split(/\s+/).length < 5) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `BACKUP_SCHEDULE must be a cron expression such as '30 2 * * *' (UTC) or 'off'; got '${raw}'`,
    );
  }
  return raw.trim();
}
