import Type, { type Static } from 'typebox';
import type { Environment } from './environment';
import { SwitchyardError } from './errors';

const phoneNumberId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9]+$' });

/**
 * The approved template notifications are sent with (they usually fall outside the 24-hour window, where
 * WhatsApp accepts only templates). Its body takes two text parameters: {{1}} the headline, {{2}} the details.
 */
const NotificationTemplateSchema = Type.Object(
  {
    /** The template's name in the WhatsApp Manager; default `switchyard_notification`. */
    template: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: '^[a-z0-9_]+$' })),
    /** The template's language code; default `en`. */
    language: Type.Optional(
      Type.String({ minLength: 2, maxLength: 15, pattern: '^[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8})?$' }),
    ),
  },
  { additionalProperties: false },
);

/** One environment's WhatsApp sender: its own business phone number and access token (or a dry-run sink in dev). */
const WhatsAppSenderSchema = Type.Object(
  {
    /** The Cloud API's phone-number id (not the phone number itself), from the WhatsApp Manager. */
    phoneNumberId: Type.Optional(phoneNumberId),
    /** A system user's permanent access token with whatsapp_business_messaging. */
    accessToken: Type.Optional(Type.String({ minLength: 1 })),
    /** Meta app secret signing this number's webhook deliveries, when its app differs from the shared one. */
    appSecret: Type.Optional(Type.String({ minLength: 1 })),
    /** Dev only: record every message instead of sending it (no phone number or token needed). */
    dryRun: Type.Optional(Type.Boolean()),
    /** This number's notification template, when it differs from the shared `whatsapp.notifications`. */
    notifications: Type.Optional(NotificationTemplateSchema),
  },
  { additionalProperties: false },
);

const WhatsAppBotSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    /** The chat model answering (an id or alias from `models:`); default the default model. */
    model: Type.Optional(Type.String({ minLength: 1 })),
    systemPrompt: Type.Optional(Type.String({ maxLength: 20_000 })),
    /** A focus mode (`<app>/<mode>`) whose skills, prompt and model the bot uses. */
    focus: Type.Optional(Type.String({ minLength: 1 })),
    /** A model that accepts images; without one, images get a polite refusal. */
    visionModel: Type.Optional(Type.String({ minLength: 1 })),
    /** The audio model transcribing voice notes (`audioModels:`); default the first transcription model. */
    transcriptionModel: Type.Optional(Type.String({ minLength: 1 })),
    /** Earlier messages of the conversation sent with each question; default 20. */
    historyMessages: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })),
    /** Which environments the bot answers in; default both. */
    environments: Type.Optional(
      Type.Array(Type.Union([Type.Literal('prod'), Type.Literal('dev')]), { minItems: 1, uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);

/** `whatsapp:` in the config file: the WhatsApp Business Cloud API (Graph API) per environment, webhook and bot. */
export const WhatsAppFileSchema = Type.Object(
  {
    /** Default https://graph.facebook.com. */
    graphBaseURL: Type.Optional(Type.String({ minLength: 1 })),
    /** Graph API version in every path; default v21.0. */
    apiVersion: Type.Optional(Type.String({ pattern: '^v[0-9]+\\.[0-9]+$' })),
    /** The Meta app secret: X-Hub-Signature-256 of every webhook delivery is checked with it. */
    appSecret: Type.Optional(Type.String({ minLength: 1 })),
    /** The token you type into Meta's webhook form; the verification handshake must echo it. */
    verifyToken: Type.Optional(Type.String({ minLength: 1 })),
    /** Per Graph API call; default 15 s. */
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    /** The template notifications are sent with (both environments, unless one names its own). */
    notifications: Type.Optional(NotificationTemplateSchema),
    prod: Type.Optional(WhatsAppSenderSchema),
    dev: Type.Optional(WhatsAppSenderSchema),
    bot: Type.Optional(WhatsAppBotSchema),
  },
  { additionalProperties: false },
);

export type WhatsAppFileConfig = Static<typeof WhatsAppFileSchema>;

/** How one environment sends: through the Graph API with its own number and token, or into the dry-run sink. */
export type WhatsAppSenderConfig =
  | {
      readonly kind: 'graph';
      readonly phoneNumberId: string;
      readonly accessToken: string;
      readonly appSecret: string | null;
      readonly notificationTemplate: WhatsAppNotificationTemplate;
    }
  | {
      readonly kind: 'dry-run';
      readonly phoneNumberId: string;
      readonly appSecret: string | null;
      readonly notificationTemplate: WhatsAppNotificationTemplate;
    };

/** The approved template notifications go out as: body parameters {{1}} (headline) and {{2}} (details). */
export interface WhatsAppNotificationTemplate {
  readonly name: string;
  readonly language: string;
}

export const defaultNotificationTemplate: WhatsAppNotificationTemplate = {
  name: 'switchyard_notification',
  language: 'en',
};

export interface WhatsAppBotConfig {
  readonly enabled: boolean;
  readonly model: string | null;
  readonly systemPrompt: string | null;
  readonly focus: string | null;
  readonly visionModel: string | null;
  readonly transcriptionModel: string | null;
  readonly historyMessages: number;
  readonly environments: readonly Environment[];
}

export interface WhatsAppConfig {
  readonly graphBaseURL: string;
  readonly apiVersion: string;
  readonly appSecret: string | null;
  readonly verifyToken: string | null;
  readonly timeoutMs: number;
  /** null: that environment cannot send (POST /v1/messages/send answers 503). */
  readonly senders: Readonly<Record<Environment, WhatsAppSenderConfig | null>>;
  readonly bot: WhatsAppBotConfig;
}

export const defaultGraphBaseURL = 'https://graph.facebook.com';
export const defaultGraphApiVersion = 'v21.0';

/** The phone-number id a dry-run sink reports when none is configured. */
export const dryRunPhoneNumberId = '0';

function sender(
  entry: Static<typeof WhatsAppSenderSchema> | undefined,
  environment: Environment,
  source: string,
  shared: Static<typeof NotificationTemplateSchema> | undefined,
): WhatsAppSenderConfig | null {
  if (!entry) return null;
  const where = `${source}: whatsapp.${environment}`;
  const notificationTemplate: WhatsAppNotificationTemplate = {
    name: entry.notifications?.template ?? shared?.template ?? defaultNotificationTemplate.name,
    language: entry.notifications?.language ?? shared?.language ?? defaultNotificationTemplate.language,
  };
  if (entry.dryRun) {
    // A production number must really send; a sink there would swallow customers' messages silently.
    if (environment === 'prod') throw new SwitchyardError('SY_ERR_VALIDATION', `${where}: dryRun is for dev only`);
    return {
      kind: 'dry-run',
      phoneNumberId: entry.phoneNumberId ?? dryRunPhoneNumberId,
      appSecret: null,
      notificationTemplate,
    };
  }
  if (!entry.phoneNumberId || !entry.accessToken) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${where} needs phoneNumberId and accessToken (or dryRun: true)`);
  }
  return {
    kind: 'graph',
    phoneNumberId: entry.phoneNumberId,
    accessToken: entry.accessToken,
    appSecret: entry.appSecret ?? null,
    notificationTemplate,
  };
}

/** Checks and completes the `whatsapp:` section; null when it is absent. */
export function parseWhatsAppConfig(file: WhatsAppFileConfig | undefined, source: string): WhatsAppConfig | null {
  if (!file) return null;
  const graphBaseURL = (file.graphBaseURL ?? defaultGraphBaseURL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(graphBaseURL);
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: whatsapp.graphBaseURL is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${source}: whatsapp.graphBaseURL must be http(s)`);
  }
  const prod = sender(file.prod, 'prod', source, file.notifications);
  const dev = sender(file.dev, 'dev', source, file.notifications);
  // The same number in both would let a dev key send from the production number.
  if (prod && dev && prod.phoneNumberId === dev.phoneNumberId) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `${source}: whatsapp.prod and whatsapp.dev must use different phone numbers (phoneNumberId)`,
    );
  }
  const bot = file.bot ?? {};
  return {
    graphBaseURL,
    apiVersion: file.apiVersion ?? defaultGraphApiVersion,
    appSecret: file.appSecret ?? null,
    verifyToken: file.verifyToken ?? null,
    timeoutMs: file.timeoutMs ?? 15_000,
    senders: { prod, dev },
    bot: {
      enabled: bot.enabled ?? false,
      model: bot.model ?? null,
      systemPrompt: bot.systemPrompt ?? null,
      focus: bot.focus ?? null,
      visionModel: bot.visionModel ?? null,
      transcriptionModel: bot.transcriptionModel ?? null,
      historyMessages: bot.historyMessages ?? 20,
      environments: bot.environments ?? ['prod', 'dev'],
    },
  };
}

/** The credentials of the section, for the secret scrubber. */
export function whatsAppSecretValues(config: WhatsAppConfig | null | undefined): Array<string | null> {
  if (!config) return [];
  const values: Array<string | null> = [config.appSecret, config.verifyToken];
  for (const entry of Object.values(config.senders)) {
    if (entry?.kind === 'graph') values.push(entry.accessToken);
    values.push(entry?.appSecret ?? null);
  }
  return values;
}
