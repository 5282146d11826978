import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { SwitchyardError } from './errors';

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
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    echoDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const ModelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    provider: Type.String({ minLength: 1 }),
    upstreamModel: Type.Optional(Type.String({ minLength: 1 })),
    label: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const FileSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          bodyLimitBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          trustProxy: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
        },
        { additionalProperties: false },
      ),
    ),
    auth: Type.Optional(
      Type.Object({ allowAnonymous: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    ),
    ollama: Type.Optional(
      Type.Object(
        { autodetect: Type.Optional(Type.Boolean()), baseURL: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    providers: Type.Optional(Type.Array(ProviderSchema)),
    models: Type.Optional(Type.Array(ModelSchema)),
    defaultModel: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export type ProviderEntry = Static<typeof ProviderSchema>;
export type ModelEntry = Static<typeof ModelSchema>;

export interface SwitchyardConfig {
  readonly configPath: string | null;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly bodyLimitBytes: number;
  readonly trustProxy: boolean | string;
  readonly logLevel: string;
  readonly databaseUrl: string | null;
  readonly devDatabaseUrl: string | null;
  readonly redisUrl: string | null;
  readonly metricsToken: string | null;
  readonly allowAnonymous: boolean;
  readonly ollama: { readonly autodetect: boolean; readonly baseURL: string };
  readonly providers: readonly ProviderEntry[];
  readonly models: readonly ModelEntry[];
  readonly defaultModel: string | null;
  readonly shutdownTimeoutMs: number;
}

export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/** Replaces `${NAME}` (and `${NAME:-fallback}`) with environment variables; a missing one is an error. */
export function interpolateEnvironment(text: string, variables: EnvironmentVariables, source: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
    const value = variables[name];
    if (value !== undefined && value !== '') return value;
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

function describeSchemaErrors(value: unknown): string {
  return Value.Errors(FileSchema, value)
    .slice(0, 5)
    .map((error) => `${error.instancePath || '/'} ${error.message}`)
    .join('; ');
}

function readConfigFile(path: string, variables: EnvironmentVariables): Static<typeof FileSchema> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${path}: not valid YAML (${(error as Error).message})`);
  }
  if (parsed === null || parsed === undefined) return {};
  // Interpolate after parsing, string by string, so a secret can never break the YAML structure.
  const interpolated = JSON.parse(JSON.stringify(parsed), (_key, value: unknown) =>
    typeof value === 'string' ? interpolateEnvironment(value, variables, path) : value,
  ) as unknown;
  if (!Value.Check(FileSchema, interpolated)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${path}: ${describeSchemaErrors(interpolated)}`);
  }
  return interpolated;
}

function checkReferences(providers: readonly ProviderEntry[], models: readonly ModelEntry[], source: string): void {
  const providerIds = new Set<string>();
  for (const provider of providers) {
    if (providerIds.has(provider.id)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: provider id '${provider.id}' is used twice`);
    }
    providerIds.add(provider.id);
    if (provider.type !== 'echo' && !provider.baseURL) {
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
  const modelIds = new Set<string>();
  for (const model of models) {
    if (modelIds.has(model.id)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: model id '${model.id}' is used twice`);
    }
    modelIds.add(model.id);
    if (!providerIds.has(model.provider) && model.provider !== 'echo') {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `${source}: model '${model.id}' names unknown provider '${model.provider}'`,
      );
    }
  }
}

/**
 * Reads configuration once at boot: environment variables plus the optional
 * YAML file. The result is frozen; nothing else in Switchyard reads process.env.
 */
export function loadConfig(variables: EnvironmentVariables, cwd = process.cwd()): SwitchyardConfig {
  const explicitPath = variables.SWITCHYARD_CONFIG;
  const configPath = resolve(cwd, explicitPath ?? 'switchyard.config.yaml');
  if (explicitPath && !existsSync(configPath)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `SWITCHYARD_CONFIG points at ${configPath}, which does not exist`);
  }
  const file = existsSync(configPath) ? readConfigFile(configPath, variables) : {};
  const source = existsSync(configPath) ? configPath : 'configuration';
  const providers = file.providers ?? [];
  const models = file.models ?? [];
  checkReferences(providers, models, source);
  if (file.defaultModel && !models.some((model) => model.id === file.defaultModel) && file.defaultModel !== 'echo') {
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
    logLevel: variables.LOG_LEVEL || 'info',
    databaseUrl: variables.DATABASE_URL || null,
    devDatabaseUrl: variables.DEV_DATABASE_URL || null,
    redisUrl: variables.REDIS_URL || null,
    metricsToken: variables.METRICS_TOKEN || null,
    allowAnonymous: file.auth?.allowAnonymous ?? true,
    ollama: {
      autodetect: file.ollama?.autodetect ?? true,
      baseURL: variables.OLLAMA_BASE_URL || file.ollama?.baseURL || 'http://127.0.0.1:11434',
    },
    providers,
    models,
    defaultModel: file.defaultModel ?? null,
    shutdownTimeoutMs: parseInteger('SHUTDOWN_TIMEOUT_MS', variables.SHUTDOWN_TIMEOUT_MS, 10_000),
  };
  if ((config.databaseUrl === null) !== (config.devDatabaseUrl === null)) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      'Server mode needs both DATABASE_URL (prod) and DEV_DATABASE_URL (dev); set both or neither',
    );
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
