import { type Environment, isEnvironment } from './environment';
import { SwitchyardError } from './errors';

export type SettingType = 'integer' | 'boolean' | 'string';
export type SettingValue = number | boolean | string;

export interface SettingDefinition {
  key: string;
  type: SettingType;
  defaultValue: SettingValue;
  description: string;
  minimum?: number;
  maximum?: number;
  /** For strings: the form the value must have, and how to say it in an error. */
  pattern?: { regex: RegExp; description: string };
}

/** A comma-separated list of model ids (or aliases); empty for none. */
const modelListPattern = {
  regex: /^\s*(?:[\w.:/@-]+(?:\s*,\s*[\w.:/@-]+)*)?\s*$/,
  description: 'a comma-separated list of model ids, e.g. "gpt-4o, llama3.1:8b", or empty',
};

/** Every setting Switchyard knows; values live in the prod database's settings table. */
export const settingDefinitions: readonly SettingDefinition[] = Object.freeze([
  {
    key: 'gift_finder.default_currency',
    type: 'string',
    defaultValue: 'EUR',
    description: 'The currency (ISO 4217) of a gift-finder session that does not name one',
    pattern: { regex: /^[A-Z]{3}$/, description: 'three capital letters, e.g. "EUR"' },
  },
  {
    key: 'rate_limit.chat.prod',
    type: 'integer',
    defaultValue: 15,
    description: 'Chat requests per minute per API key (or per client IP for anonymous callers) in prod',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.chat.dev',
    type: 'integer',
    defaultValue: 60,
    description: 'Chat requests per minute per API key (or per client IP for anonymous callers) in dev',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.image.prod',
    type: 'integer',
    defaultValue: 5,
    description: 'Image generation requests per minute per API key (or client IP) in prod',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.image.dev',
    type: 'integer',
    defaultValue: 20,
    description: 'Image generation requests per minute per API key (or client IP) in dev',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.messages.prod',
    type: 'integer',
    defaultValue: 30,
    description: 'POST /v1/messages/send requests per minute per API key in prod',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.messages.dev',
    type: 'integer',
    defaultValue: 60,
    description: 'POST /v1/messages/send requests per minute per API key in dev',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'whatsapp.bot.per_sender_per_minute',
    type: 'integer',
    defaultValue: 10,
    description:
      'WhatsApp messages per minute one sender may have the bot answer; past it they get one notice and no answers until the minute is over',
    minimum: 1,
    maximum: 10_000,
  },
  {
    key: 'ai.image.max_per_day_free.prod',
    type: 'integer',
    defaultValue: 10,
    description: 'Daily image quota per API key (or client IP) in prod',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'ai.image.max_per_day_free.dev',
    type: 'integer',
    defaultValue: 50,
    description: 'Daily image quota per API key (or client IP) in dev',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'audio.max_minutes_per_day.prod',
    type: 'integer',
    defaultValue: 60,
    description:
      'Minutes of audio an API key (or client IP) may have transcribed or translated per UTC day in prod; over it: 429 SY_ERR_QUOTA_EXCEEDED',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'audio.max_minutes_per_day.dev',
    type: 'integer',
    defaultValue: 120,
    description:
      'Minutes of audio an API key (or client IP) may have transcribed or translated per UTC day in dev; over it: 429 SY_ERR_QUOTA_EXCEEDED',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'audio.max_sync_bytes',
    type: 'integer',
    defaultValue: 25 * 1024 * 1024,
    description:
      'Largest audio file transcribed while the request waits; larger ones get 413 and must be sent with async=true (a job)',
    minimum: 1024,
    maximum: 1024 * 1024 * 1024,
  },
  {
    key: 'audio.max_bytes',
    type: 'integer',
    defaultValue: 200 * 1024 * 1024,
    description: 'Largest audio file accepted at all (async=true jobs included), in bytes',
    minimum: 1024,
    maximum: 4 * 1024 * 1024 * 1024,
  },
  {
    key: 'audio.recording_retention_days',
    type: 'integer',
    defaultValue: 7,
    description:
      'Days a stored recording (and its transcript) is kept after its transcription job finished; then the hourly purge deletes it',
    minimum: 1,
    maximum: 3650,
  },
  {
    key: 'rate_limit.user.per_minute',
    type: 'integer',
    defaultValue: 100,
    description:
      "Chat requests per minute per signed-in user (session cookie), and rate-limited requests per minute per user across all their keys and sessions, unless the user's plan sets user_requests_per_minute",
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'files.max_bytes',
    type: 'integer',
    defaultValue: 20 * 1024 * 1024,
    description: 'Largest file a user may upload to POST /api/files, in bytes',
    minimum: 1,
    maximum: 1024 * 1024 * 1024,
  },
  {
    key: 'files.max_per_user',
    type: 'integer',
    defaultValue: 200,
    description: 'Files a user may keep; uploads beyond it are refused until some are deleted',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'files.extract.max_uncompressed_bytes',
    type: 'integer',
    defaultValue: 100 * 1024 * 1024,
    description:
      'Largest total unpacked size of a DOCX (or other ZIP-based document), read from its directory before anything is inflated; larger ones get 422 SY_ERR_FILE_TOO_COMPLEX',
    minimum: 1024,
    maximum: 4 * 1024 * 1024 * 1024,
  },
  {
    key: 'files.extract.max_entries',
    type: 'integer',
    defaultValue: 10_000,
    description: 'Most entries a DOCX (or other ZIP-based document) may hold; more get 422 SY_ERR_FILE_TOO_COMPLEX',
    minimum: 1,
    maximum: 1_000_000,
  },
  {
    key: 'files.extract.max_pixels',
    type: 'integer',
    defaultValue: 50_000_000,
    description:
      'Most pixels (width × height, read from the header) of an image given to OCR; larger ones get 422 SY_ERR_FILE_TOO_COMPLEX',
    minimum: 1,
    maximum: 1_000_000_000,
  },
  {
    key: 'files.extract.timeout_ms',
    type: 'integer',
    defaultValue: 120_000,
    description: 'Longest a text extraction may run (in its worker thread) before it is stopped and the file fails',
    minimum: 100,
    maximum: 3_600_000,
  },
  {
    key: 'files.extract.memory_mb',
    type: 'integer',
    defaultValue: 512,
    description: 'JavaScript heap limit of the worker thread that extracts one file, in MiB; past it the file fails',
    minimum: 16,
    maximum: 16_384,
  },
  {
    key: 'rate_limit.anonymous.per_minute',
    type: 'integer',
    defaultValue: 20,
    description: 'Chat requests per minute per client IP for callers without a key or session',
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.ip.per_minute',
    type: 'integer',
    defaultValue: 20,
    description:
      "Rate-limited requests (chat, images, messages) per minute per client IP for every caller with a key or session, unless the caller's plan sets ip_requests_per_minute",
    minimum: 0,
    maximum: 10_000_000,
  },
  {
    key: 'rate_limit.auth_failures.per_ip',
    type: 'integer',
    defaultValue: 60,
    description:
      'Failed authentications (invalid, revoked or malformed API keys, bad password-reset tokens) per client IP per minute before further failing attempts get 429; valid keys keep working',
    minimum: 1,
    maximum: 10_000_000,
  },
  {
    key: 'auth.signin.per_account_per_15min',
    type: 'integer',
    defaultValue: 10,
    description: 'Failed sign-ins per email address in 15 minutes before further attempts get 429',
    minimum: 1,
    maximum: 1_000_000,
  },
  {
    key: 'auth.signin.per_ip_per_15min',
    type: 'integer',
    defaultValue: 50,
    description: 'Failed sign-ins per client IP in 15 minutes before further attempts get 429',
    minimum: 1,
    maximum: 1_000_000,
  },
  {
    key: 'models.disabled.prod',
    type: 'string',
    defaultValue: '',
    description:
      'Models (ids or aliases, comma-separated) turned off in prod on top of the config file; requests for them get 403 SY_ERR_MODEL_NOT_ALLOWED and they leave the model lists',
    pattern: modelListPattern,
  },
  {
    key: 'models.disabled.dev',
    type: 'string',
    defaultValue: '',
    description:
      'Models (ids or aliases, comma-separated) turned off in dev on top of the config file; requests for them get 403 SY_ERR_MODEL_NOT_ALLOWED and they leave the model lists',
    pattern: modelListPattern,
  },
  {
    key: 'apps.max_steps',
    type: 'integer',
    defaultValue: 8,
    description:
      'Model turns a chat with apps may take (each turn may call several skills); past it the request ends with 422 SY_ERR_SKILL_STEPS_EXCEEDED',
    minimum: 1,
    maximum: 50,
  },
  {
    key: 'cache.ttl_seconds',
    type: 'integer',
    defaultValue: 3600,
    description: 'How long identical chat requests are answered from the response cache (0 turns caching off)',
    minimum: 0,
    maximum: 2_592_000,
  },
  {
    key: 'responses.retention_days',
    type: 'integer',
    defaultValue: 30,
    description:
      'How long POST /v1/responses keeps a stored response for GET /v1/responses/{id} and previous_response_id',
    minimum: 1,
    maximum: 3650,
  },
] satisfies SettingDefinition[]);

const definitionsByKey = new Map(settingDefinitions.map((definition) => [definition.key, definition]));

export function findSettingDefinition(key: string): SettingDefinition | undefined {
  return definitionsByKey.get(key);
}

/**
 * The environment a setting governs: keys ending in `.prod` or `.dev` are per-environment (rate limits,
 * quotas, disabled models); every other setting is global and affects prod too.
 */
export function environmentOfSetting(key: string): Environment | null {
  const suffix = key.slice(key.lastIndexOf('.') + 1);
  return isEnvironment(suffix) ? suffix : null;
}

/** Checks a value against its definition; throws SY_ERR_* errors a client can act on. */
export function validateSettingValue(key: string, value: unknown): SettingValue {
  const definition = definitionsByKey.get(key);
  if (!definition) {
    throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${key}'`);
  }
  switch (definition.type) {
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `Setting '${key}' must be an integer`);
      }
      if (definition.minimum !== undefined && value < definition.minimum) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `Setting '${key}' must be at least ${definition.minimum}`);
      }
      if (definition.maximum !== undefined && value > definition.maximum) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `Setting '${key}' must be at most ${definition.maximum}`);
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') {
        throw new SwitchyardError('SY_ERR_VALIDATION', `Setting '${key}' must be a boolean`);
      }
      return value;
    case 'string':
      if (typeof value !== 'string') {
        throw new SwitchyardError('SY_ERR_VALIDATION', `Setting '${key}' must be a string`);
      }
      if (definition.pattern && !definition.pattern.regex.test(value)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', `Setting '${key}' must be ${definition.pattern.description}`);
      }
      return value;
  }
}

/** The entries of a comma-separated list setting, trimmed, empty ones dropped. */
export function listSettingEntries(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** An in-memory view of the settings, read on the hot path without a database round trip. */
export interface SettingsSnapshot {
  get(key: string): SettingValue;
  getInteger(key: string): number;
  entries(): Array<{ definition: SettingDefinition; value: SettingValue; updatedAt: Date | null }>;
}

export function createSettingsSnapshot(
  stored: ReadonlyArray<{ key: string; value: unknown; updatedAt: Date | null }>,
): SettingsSnapshot {
  const values = new Map<string, { value: SettingValue; updatedAt: Date | null }>();
  for (const definition of settingDefinitions) {
    values.set(definition.key, { value: definition.defaultValue, updatedAt: null });
  }
  for (const row of stored) {
    const definition = definitionsByKey.get(row.key);
    if (!definition) continue;
    try {
      values.set(row.key, { value: validateSettingValue(row.key, row.value), updatedAt: row.updatedAt });
    } catch {
      // A stored value that no longer validates falls back to the default rather than breaking boot.
    }
  }
  return {
    get(key) {
      const entry = values.get(key);
      if (!entry) throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${key}'`);
      return entry.value;
    },
    getInteger(key) {
      const value = this.get(key);
      if (typeof value !== 'number') throw new SwitchyardError('SY_ERR_INTERNAL', `Setting '${key}' is not a number`);
      return value;
    },
    entries() {
      return settingDefinitions.map((definition) => {
        const entry = values.get(definition.key);
        return { definition, value: entry?.value ?? definition.defaultValue, updatedAt: entry?.updatedAt ?? null };
      });
    },
  };
}
