import { ChatMessageSchema } from '@switchyard/api-schemas';
import Type, { type Static, type TSchema } from 'typebox';

/**
 * Seed 002's escalating back-off: a failed attempt is retried after 1 minute,
 * then 10 minutes, 1 hour and 1 day; the attempt after that goes to the
 * dead-letter queue. Upstream outages and exhausted quotas heal on that scale.
 */
export const defaultBackoffScheduleMs: readonly number[] = Object.freeze([60_000, 600_000, 3_600_000, 86_400_000]);

export interface JobDefinition<Name extends string = string, Payload extends TSchema = TSchema> {
  readonly name: Name;
  /** Checked on enqueue and again before every attempt (the schema may have changed in between). */
  readonly payload: Payload;
  /** Total attempts, the first one included; every start counts, also one a crashed worker never finished. */
  readonly attempts: number;
  /** Delay before retry n is `backoffMs[n - 1]`; the last entry repeats when there are more attempts than entries. */
  readonly backoffMs: readonly number[];
  /** An attempt running longer is aborted (its signal fires) and counts as a retryable failure. */
  readonly timeoutMs: number;
  /** Default number of jobs one worker runs at the same time. */
  readonly concurrency: number;
  /** `false`: every failure goes to the dead-letter queue at once (e.g. sending a message twice is worse than not at all). */
  readonly retryable: boolean;
}

export interface JobDefinitionOptions<Payload extends TSchema> {
  payload: Payload;
  /** Default: one more than the back-off schedule has entries. */
  attempts?: number;
  backoffMs?: readonly number[];
  timeoutMs?: number;
  concurrency?: number;
  retryable?: boolean;
}

export type JobCatalog = { readonly [name: string]: JobDefinition };
export type JobName<Catalog extends JobCatalog> = keyof Catalog & string;
export type JobPayload<Catalog extends JobCatalog, Name extends JobName<Catalog>> = Static<Catalog[Name]['payload']>;

const defaultTimeoutMs = 5 * 60_000;

export function defineJob<const Name extends string, Payload extends TSchema>(
  name: Name,
  options: JobDefinitionOptions<Payload>,
): JobDefinition<Name, Payload> {
  const backoffMs = Object.freeze([...(options.backoffMs ?? defaultBackoffScheduleMs)]);
  const definition: JobDefinition<Name, Payload> = {
    name,
    payload: options.payload,
    attempts: options.attempts ?? backoffMs.length + 1,
    backoffMs,
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    concurrency: options.concurrency ?? 1,
    retryable: options.retryable ?? true,
  };
  assertValidDefinition(definition);
  return Object.freeze(definition);
}

function assertValidDefinition(definition: JobDefinition): void {
  const problem = (message: string) => new Error(`Job '${definition.name}': ${message}`);
  // BullMQ queue names and Redis keys use ':' as a separator.
  if (!/^[a-z][a-z0-9_.-]*$/.test(definition.name)) throw problem('name must be lower-case letters, digits, . _ -');
  if (!Number.isInteger(definition.attempts) || definition.attempts < 1) throw problem('attempts must be ≥ 1');
  if (definition.backoffMs.some((delay) => !Number.isFinite(delay) || delay < 0)) {
    throw problem('back-off delays must be finite and ≥ 0');
  }
  if (!Number.isFinite(definition.timeoutMs) || definition.timeoutMs <= 0) throw problem('timeoutMs must be > 0');
  if (!Number.isInteger(definition.concurrency) || definition.concurrency < 1) throw problem('concurrency must be ≥ 1');
}

/** Keys a list of definitions by name, keeping each name's payload type. */
export function defineCatalog<const Definitions extends readonly JobDefinition[]>(
  definitions: Definitions,
): { readonly [Definition in Definitions[number] as Definition['name']]: Definition } {
  const catalog: Record<string, JobDefinition> = {};
  for (const definition of definitions) {
    if (catalog[definition.name]) throw new Error(`Job '${definition.name}' is defined twice`);
    catalog[definition.name] = definition;
  }
  return Object.freeze(catalog) as { readonly [Definition in Definitions[number] as Definition['name']]: Definition };
}

/** The same catalog with another back-off schedule everywhere, e.g. milliseconds instead of hours in tests. */
export function withBackoffSchedule<Catalog extends JobCatalog>(
  catalog: Catalog,
  backoffMs: readonly number[],
): Catalog {
  const copy: Record<string, JobDefinition> = {};
  for (const [name, definition] of Object.entries(catalog)) {
    copy[name] = defineJob(definition.name, {
      payload: definition.payload,
      attempts: definition.attempts,
      backoffMs,
      timeoutMs: definition.timeoutMs,
      concurrency: definition.concurrency,
      retryable: definition.retryable,
    });
  }
  return Object.freeze(copy) as Catalog;
}

/** How long to wait before the attempt after `failedAttempt` (1-based). */
export function retryDelayMs(definition: Pick<JobDefinition, 'backoffMs'>, failedAttempt: number): number {
  const schedule = definition.backoffMs;
  return schedule[Math.max(0, failedAttempt - 1)] ?? schedule.at(-1) ?? 0;
}

export function findJobDefinition(catalog: JobCatalog, name: string): JobDefinition | undefined {
  return Object.hasOwn(catalog, name) ? catalog[name] : undefined;
}

/** Spelled out because a mapped union loses its literal types; catalog.test.ts checks it against core. */
export const EnvironmentSchema = Type.Union([Type.Literal('prod'), Type.Literal('dev')]);
const Identifier = Type.String({ minLength: 1, maxLength: 200 });

/** Async chat (seed 002): the answer is written to the conversation when it arrives. */
export const chatCompleteJob = defineJob('chat.complete', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    apiKeyId: Type.Union([Identifier, Type.Null()]),
    /** Who asked (`key:<id>`, `user:<id>` or `ip:<address>`); only they may read the job. */
    subject: Type.Optional(Identifier),
    model: Identifier,
    /** The conversation as the HTTP API accepted it (@switchyard/api-schemas), nulls removed. */
    messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
    /** temperature, max_tokens, ...: passed to the provider as given. */
    params: Type.Record(Type.String(), Type.Unknown()),
    conversationId: Type.Optional(Identifier),
  }),
  timeoutMs: 5 * 60_000,
  concurrency: 4,
});

export const imageGenerateJob = defineJob('image.generate', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    /** Who the image counts against for quotas: an API key id, or `ip:<address>` for anonymous callers. */
    subject: Identifier,
    prompt: Type.String({ minLength: 1, maxLength: 4_000 }),
    negativePrompt: Type.Optional(Type.String({ maxLength: 4_000 })),
    width: Type.Integer({ minimum: 64, maximum: 4_096 }),
    height: Type.Integer({ minimum: 64, maximum: 4_096 }),
    steps: Type.Integer({ minimum: 1, maximum: 200 }),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The image model (from `imageModels` in the configuration); the default one when absent. */
    model: Type.Optional(Identifier),
    imageId: Identifier,
  }),
  timeoutMs: 10 * 60_000,
  concurrency: 1,
});

export const documentExtractJob = defineJob('document.extract', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    documentId: Identifier,
    /** Where the uploaded file sits in object storage. */
    objectKey: Identifier,
    mimeType: Type.String({ minLength: 1 }),
    /** Run OCR on images and scanned PDFs. */
    ocr: Type.Optional(Type.Boolean()),
  }),
  timeoutMs: 5 * 60_000,
  concurrency: 2,
});

/** A long recording (async=true on /v1/audio/transcriptions or /translations), read from object storage. */
export const audioTranscribeJob = defineJob('audio.transcribe', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    /** Who asked (`key:<id>`, `user:<id>` or `ip:<address>`): only they may read the job; their quota counts it. */
    subject: Identifier,
    apiKeyId: Type.Union([Identifier, Type.Null()]),
    task: Type.Union([Type.Literal('transcribe'), Type.Literal('translate')]),
    /** The audio model (from `audioModels` in the configuration). */
    model: Identifier,
    /** Where the uploaded audio sits in object storage. */
    objectKey: Identifier,
    fileName: Type.String({ minLength: 1, maxLength: 255 }),
    mimeType: Type.String({ minLength: 1 }),
    bytes: Type.Integer({ minimum: 1 }),
    format: Type.Union([
      Type.Literal('json'),
      Type.Literal('text'),
      Type.Literal('srt'),
      Type.Literal('vtt'),
      Type.Literal('verbose_json'),
    ]),
    language: Type.Optional(Type.String({ maxLength: 20 })),
    prompt: Type.Optional(Type.String({ maxLength: 4_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    timestampGranularities: Type.Optional(Type.Array(Type.Union([Type.Literal('word'), Type.Literal('segment')]))),
    /** The signed-in user (or key owner) the recording is for: the owner of `conversationId` and `fileId`. */
    userId: Type.Optional(Identifier),
    /** Post the transcript to this chat of the user's as their message (from the chat app). */
    conversationId: Type.Optional(Identifier),
    /** Make the transcript the text of this uploaded file of the user's (an audio attachment). */
    fileId: Type.Optional(Identifier),
    /** The seconds taken from the caller's daily audio quota when the job was queued; settled to the real length. */
    quota: Type.Optional(
      Type.Object({ day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), seconds: Type.Integer({ minimum: 1 }) }),
    ),
  }),
  // An upstream that is down for a while is retried on a scale of minutes, not days: the recording waits.
  backoffMs: [30_000, 120_000, 600_000],
  timeoutMs: 30 * 60_000,
  concurrency: 1,
});

/**
 * One outbound WhatsApp message. `messageId` names its row (whatsapp_messages in the environment's
 * database), which holds the content; a payload without one (text only) gets a row when it runs.
 * 429s and 5xx from WhatsApp are retried on the escalating schedule; refusals dead-letter at once.
 */
export const messageSendJob = defineJob('message.send', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    apiKeyId: Type.Union([Identifier, Type.Null()]),
    channel: Type.Literal('whatsapp'),
    /** E.164 phone number. */
    to: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }),
    messageId: Type.Optional(Identifier),
    /** The message kind (text, template, image, document, audio), for lists of jobs. */
    kind: Type.Optional(Type.String({ maxLength: 20 })),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 4_096 })),
  }),
  timeoutMs: 30_000,
  concurrency: 4,
});

/** A WhatsApp webhook delivery whose signature was valid: statuses recorded, inbound messages handed to the bot. */
export const whatsappWebhookJob = defineJob('whatsapp.webhook', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    /** The stored delivery (whatsapp_deliveries in the environment's database). */
    deliveryId: Identifier,
  }),
  backoffMs: [5_000, 30_000, 300_000, 3_600_000],
  // Transcribing a voice note and asking the model can take a while.
  timeoutMs: 5 * 60_000,
  concurrency: 4,
});

/**
 * An async skill call (`POST /v1/apps/{app}/skills/{skill}` with `"async": true`): the skill runs like a
 * direct call (input check, app timeout, usage row) and its result is the job's. Only an app that could not
 * be reached is tried again; a call that reached the app is never repeated (its work may have happened).
 */
export const skillCallJob = defineJob('skill.call', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    apiKeyId: Type.Union([Identifier, Type.Null()]),
    /** Who asked (`key:<id>`, `user:<id>`); only they may read the job, and the app sees it as the caller. */
    subject: Identifier,
    callerKind: Type.Union([Type.Literal('key'), Type.Literal('user')]),
    userId: Type.Union([Identifier, Type.Null()]),
    /** The caller's role when it asked: an app closed to that role is not found when the job runs either. */
    role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('user'), Type.Null()])),
    /** A project key's project: its apps are found when the job runs, and only they. */
    projectId: Type.Optional(Type.Union([Identifier, Type.Null()])),
    app: Type.String({ minLength: 1, maxLength: 64 }),
    skill: Type.String({ minLength: 1, maxLength: 128 }),
    input: Type.Record(Type.String(), Type.Unknown()),
  }),
  backoffMs: [10_000, 60_000],
  timeoutMs: 15 * 60_000,
  concurrency: 4,
});

/** What the `maintenance.purge` job clears; each has a system schedule. */
export const purgeTargets = [
  'idempotency-keys',
  'consumed-events',
  'schedule-runs',
  'audio-recordings',
  'stored-responses',
] as const;

/** Housekeeping that every process used to run on its own timer; now one system schedule fires it once. */
export const maintenancePurgeJob = defineJob('maintenance.purge', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    target: Type.Union(purgeTargets.map((target) => Type.Literal(target))),
  }),
  // The next tick purges again anyway.
  backoffMs: [60_000],
  timeoutMs: 10 * 60_000,
  concurrency: 1,
});

/** The scheduled backup (BACKUP_SCHEDULE): both databases and the object store into BACKUP_DIR, then pruning. */
export const maintenanceBackupJob = defineJob('maintenance.backup', {
  payload: Type.Object({ environment: EnvironmentSchema }),
  // A failed backup (a full disk, PostgreSQL down) is tried again twice; tomorrow's runs anyway.
  backoffMs: [10 * 60_000, 60 * 60_000],
  timeoutMs: 2 * 60 * 60_000,
  concurrency: 1,
});

/** One run of a user's saved search: search, keep what is new, summarise, announce. */
export const searchRunJob = defineJob('search.run', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    searchId: Identifier,
  }),
  // A provider outage is retried within the hour; the next scheduled run comes anyway.
  backoffMs: [30_000, 300_000],
  timeoutMs: 5 * 60_000,
  concurrency: 2,
});

/**
 * One batch of notification deliveries on one outbound channel (an immediate one is a batch of one, a digest
 * collects a day's). A mail server that is down is retried for about a day before the job is dead-lettered;
 * the batch records what was sent, so a retry never sends it twice.
 */
export const notificationDeliverJob = defineJob('notification.deliver', {
  payload: Type.Object({
    environment: EnvironmentSchema,
    channel: Type.Union([Type.Literal('email'), Type.Literal('whatsapp')]),
    batchId: Identifier,
  }),
  backoffMs: [30_000, 120_000, 600_000, 3_600_000, 6 * 3_600_000, 12 * 3_600_000],
  timeoutMs: 60_000,
  concurrency: 4,
});

/** The daily digest: every notification a user chose to get once a day, sent as one message per channel. */
export const notificationsDigestJob = defineJob('notifications.digest', {
  payload: Type.Object({
    environment: EnvironmentSchema,
  }),
  backoffMs: [60_000, 600_000],
  timeoutMs: 5 * 60_000,
  concurrency: 1,
});

/** Every job the platform runs. Producers and processors take their payload types from here. */
export const platformJobs = defineCatalog([
  chatCompleteJob,
  imageGenerateJob,
  documentExtractJob,
  audioTranscribeJob,
  messageSendJob,
  skillCallJob,
  whatsappWebhookJob,
  maintenancePurgeJob,
  maintenanceBackupJob,
  searchRunJob,
  notificationDeliverJob,
  notificationsDigestJob,
]);
export type PlatformJobs = typeof platformJobs;
