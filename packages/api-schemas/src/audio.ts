import Type, { type Static } from 'typebox';
import { pageFields } from './common';

export const TranscriptFormat = Type.Union([
  Type.Literal('json'),
  Type.Literal('text'),
  Type.Literal('srt'),
  Type.Literal('vtt'),
  Type.Literal('verbose_json'),
]);

/**
 * The text fields of POST /v1/audio/transcriptions and /v1/audio/translations (multipart/form-data;
 * the audio itself comes in the part `file`). Multipart fields arrive as strings: the route turns
 * numbers and booleans into their types before checking them against this schema.
 */
export const AudioTranscriptionForm = Type.Object(
  {
    model: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'An audio model; the default one if omitted' }),
    ),
    language: Type.Optional(
      Type.String({ pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$', description: 'ISO-639-1 language of the audio' }),
    ),
    prompt: Type.Optional(Type.String({ maxLength: 4_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    response_format: Type.Optional(TranscriptFormat),
    timestamp_granularities: Type.Optional(
      Type.Array(Type.Union([Type.Literal('word'), Type.Literal('segment')]), { maxItems: 2 }),
    ),
    async: Type.Optional(
      Type.Boolean({ description: 'Transcribe in a job (202 with the job); needed above audio.max_sync_bytes' }),
    ),
    conversation_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          "Switchyard's addition, with async=true and a signed-in user (or a user's key): post the transcript to " +
          'this chat of yours as your message when the job finishes; another chat is 404',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AudioTranscriptionForm = Static<typeof AudioTranscriptionForm>;

export const SpeechFormat = Type.Union([
  Type.Literal('mp3'),
  Type.Literal('opus'),
  Type.Literal('aac'),
  Type.Literal('flac'),
  Type.Literal('wav'),
  Type.Literal('pcm'),
]);

export const AudioSpeechRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    input: Type.String({ minLength: 1, maxLength: 4_096 }),
    voice: Type.String({ minLength: 1, maxLength: 100 }),
    instructions: Type.Optional(Type.String({ maxLength: 4_096 })),
    response_format: Type.Optional(SpeechFormat),
    speed: Type.Optional(Type.Number({ minimum: 0.25, maximum: 4 })),
  },
  { additionalProperties: false },
);
export type AudioSpeechRequest = Static<typeof AudioSpeechRequest>;

/** A transcription job (async=true): its state, and the transcript once completed. */
export const AudioJob = Type.Object({
  id: Type.String(),
  object: Type.Literal('audio.transcription.job'),
  status: Type.Union([
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  task: Type.Union([Type.Literal('transcribe'), Type.Literal('translate')]),
  model: Type.String(),
  environment: Type.String(),
  attempts: Type.Integer(),
  response_format: TranscriptFormat,
  /** The transcript in `response_format` (JSON formats as their JSON text). */
  transcript: Type.Optional(Type.String()),
  /** The plain text, when the format holds it. */
  text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  duration: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  progress: Type.Optional(Type.Unknown()),
  /** The chat the transcript is posted to (conversation_id), and the message it became once completed. */
  conversation_id: Type.Optional(Type.String()),
  message_id: Type.Optional(Type.String()),
  error: Type.Optional(Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  status_url: Type.String(),
  events_url: Type.String(),
});
export type AudioJob = Static<typeof AudioJob>;

export const AudioJobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

/** A recording kept for an async transcription: its owner may delete it; the purge does after the retention. */
export const AudioRecording = Type.Object({
  id: Type.String({ description: "The transcription job's id" }),
  object: Type.Literal('audio.recording'),
  status: Type.Union([Type.Literal('queued'), Type.Literal('completed'), Type.Literal('failed')]),
  bytes: Type.Integer(),
  mime_type: Type.String(),
  conversation_id: Type.Union([Type.String(), Type.Null()]),
  message_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  /** When the retention purge deletes it (finished_at + audio.recording_retention_days). */
  expires_at: Type.Union([Type.String(), Type.Null()]),
});
export type AudioRecording = Static<typeof AudioRecording>;

export const AudioRecordingList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(AudioRecording),
  ...pageFields,
});

export const AudioQuota = Type.Object({
  environment: Type.String(),
  used_minutes: Type.Number(),
  limit_minutes: Type.Integer(),
  remaining_minutes: Type.Number(),
  resets_at: Type.String(),
});
export type AudioQuota = Static<typeof AudioQuota>;
