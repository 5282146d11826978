import Type, { type Static, type TSchema } from 'typebox';
import { Environment } from './common';

/**
 * The OpenAI chat-completions shapes Switchyard accepts (POST /v1/chat/completions) and the
 * native chat API (POST /v1/chat). packages/providers derives its ChatRequest from these.
 */

export const ChatRoleSchema = Type.Union([
  Type.Literal('system'),
  Type.Literal('developer'),
  Type.Literal('user'),
  Type.Literal('assistant'),
  Type.Literal('tool'),
]);

/** A text part; `text` is required, so adapters never meet a text part without text. */
export const TextContentPartSchema = Type.Object(
  { type: Type.Literal('text'), text: Type.String() },
  { additionalProperties: true },
);
export type TextContentPart = Static<typeof TextContentPartSchema>;

export const ImageContentPartSchema = Type.Object(
  {
    type: Type.Literal('image_url'),
    image_url: Type.Object(
      {
        url: Type.String({ minLength: 1, description: 'https URL or data: URL' }),
        detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
export type ImageContentPart = Static<typeof ImageContentPartSchema>;

/** Any other part (input_audio, file, ...): passed to upstreams that understand it, skipped by the others. */
export const OtherContentPartSchema = Type.Object(
  { type: Type.String({ minLength: 1, not: { enum: ['text', 'image_url'] } }) },
  { additionalProperties: true },
);

export const ContentPartSchema = Type.Union([TextContentPartSchema, ImageContentPartSchema, OtherContentPartSchema]);
export type ContentPart = Static<typeof ContentPartSchema>;

/** A tool call the assistant made, as it comes back in the conversation. */
export const ToolCallSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('function'),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);
export type ToolCall = Static<typeof ToolCallSchema>;

export const ChatMessageSchema = Type.Object(
  {
    role: ChatRoleSchema,
    content: Type.Union([Type.String(), Type.Array(ContentPartSchema), Type.Null()]),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCallSchema)),
    tool_call_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ChatMessage = Static<typeof ChatMessageSchema>;
export type ChatRole = Static<typeof ChatRoleSchema>;

/** Apps whose skills the model may call; Switchyard runs the calls and answers with the final text. */
export const AppIdsSchema = Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }), {
  minItems: 1,
  maxItems: 16,
  uniqueItems: true,
  description: "Apps whose skills the model may use (GET /v1/apps); Switchyard runs the model's skill calls",
});

/** A focus mode (GET /v1/apps lists them): `<mode>` or `<app>/<mode>`. */
export const FocusSchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,62}(/[a-z0-9][a-z0-9_-]{0,62})?$',
  description:
    "A focus mode from GET /v1/apps, as '<mode>' or '<app>/<mode>': its system prompt, skills and preferred model",
});

const nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

export const ChatCompletionRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'A model id from GET /v1/models' }),
    messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
    stream: Type.Optional(Type.Boolean()),
    stream_options: nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
    temperature: nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: nullable(Type.Number({ minimum: 0, maximum: 1 })),
    max_tokens: nullable(Type.Integer({ minimum: 1 })),
    max_completion_tokens: nullable(Type.Integer({ minimum: 1 })),
    n: nullable(
      Type.Integer({
        minimum: 1,
        maximum: 128,
        description: 'Choices to generate: above 1 only on models served by OpenAI-compatible providers (else 400)',
      }),
    ),
    stop: nullable(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })])),
    seed: nullable(Type.Integer()),
    presence_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 })),
    user: Type.Optional(Type.String()),
    response_format: nullable(
      Type.Object(
        {
          type: Type.Union([Type.Literal('text'), Type.Literal('json_object'), Type.Literal('json_schema')]),
          json_schema: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: true },
      ),
    ),
    tools: nullable(Type.Array(Type.Unknown())),
    tool_choice: Type.Optional(Type.Unknown()),
    apps: Type.Optional(AppIdsSchema),
    focus: Type.Optional(FocusSchema),
  },
  {
    additionalProperties: true,
    description:
      'OpenAI chat-completions request; unknown fields pass to the upstream, fields sent as null count as not sent',
  },
);
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

export const NativeChatRequest = Type.Object(
  {
    model: Type.Optional(
      Type.String({ minLength: 1, description: 'Model id from GET /v1/chat/models; default if omitted' }),
    ),
    message: Type.Optional(Type.String({ description: 'A single user message (shortcut for `messages`)' })),
    messages: Type.Optional(Type.Array(ChatMessageSchema, { minItems: 1 })),
    system: Type.Optional(Type.String({ description: 'System prompt placed before the messages' })),
    stream: Type.Optional(Type.Boolean({ description: 'Stream the answer as server-sent events' })),
    async: Type.Optional(
      Type.Boolean({ description: 'Queue the request as a job: 202 with the job id; see GET /v1/chat/jobs/{id}' }),
    ),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    apps: Type.Optional(AppIdsSchema),
    focus: Type.Optional(FocusSchema),
  },
  { additionalProperties: false },
);
export type NativeChatRequest = Static<typeof NativeChatRequest>;

export const Usage = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
});

export const NativeChatResponse = Type.Object({
  id: Type.String(),
  model: Type.String(),
  environment: Environment,
  served_by: Type.String({ description: 'The deployment that answered: provider/upstream model' }),
  message: Type.Object({ role: Type.Literal('assistant'), content: Type.String() }),
  finish_reason: Type.Union([Type.String(), Type.Null()]),
  usage: Usage,
  latency_ms: Type.Number(),
});
export type NativeChatResponse = Static<typeof NativeChatResponse>;

export const NativeModel = Type.Object({
  id: Type.String(),
  label: Type.Union([Type.String(), Type.Null()], { description: 'Fast, Smart, Test, ...' }),
  description: Type.Union([Type.String(), Type.Null()]),
  provider: Type.String(),
  default: Type.Boolean(),
  vision: Type.Boolean({ description: 'Reads images: image attachments are sent to it as images' }),
});
export type NativeModel = Static<typeof NativeModel>;

export const NativeModelList = Type.Object({ models: Type.Array(NativeModel), default: Type.String() });
export type NativeModelList = Static<typeof NativeModelList>;

export const ModelKind = Type.Union(
  [
    Type.Literal('chat'),
    Type.Literal('embedding'),
    Type.Literal('moderation'),
    Type.Literal('image'),
    Type.Literal('transcription'),
    Type.Literal('speech'),
  ],
  { description: "What the model does (a Switchyard addition to OpenAI's model object)" },
);
export type ModelKind = Static<typeof ModelKind>;

export const OpenAIModel = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
  kind: Type.Optional(ModelKind),
});
export type OpenAIModel = Static<typeof OpenAIModel>;

export const OpenAIModelList = Type.Object({ object: Type.Literal('list'), data: Type.Array(OpenAIModel) });

export const ModelParams = Type.Object({ model: Type.String({ minLength: 1, maxLength: 300 }) });

export const EmbeddingsRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    input: Type.Union([
      Type.String({ minLength: 1 }),
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 2048 }),
    ]),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    /** `base64` (the `openai` client's default) is each vector's float32 little-endian bytes, base64-encoded. */
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type EmbeddingsRequest = Static<typeof EmbeddingsRequest>;

/** A legacy OpenAI completions request (POST /v1/completions). */
export const TextCompletionRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'A chat model id from GET /v1/models' }),
    prompt: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 64 })], {
      description: 'One prompt, or several (one answer each, in order); token arrays are not accepted',
    }),
    stream: Type.Optional(Type.Boolean()),
    stream_options: nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
    max_tokens: nullable(Type.Integer({ minimum: 1 })),
    temperature: nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: nullable(Type.Number({ minimum: 0, maximum: 1 })),
    n: nullable(
      Type.Integer({
        minimum: 1,
        maximum: 128,
        description: 'Choices per prompt: above 1 only on models served by OpenAI-compatible providers (else 400)',
      }),
    ),
    best_of: nullable(Type.Integer({ minimum: 1, maximum: 20 })),
    stop: nullable(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })])),
    seed: nullable(Type.Integer()),
    presence_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 })),
    echo: nullable(Type.Boolean({ description: 'OpenAI-compatible providers only (else 400)' })),
    suffix: nullable(Type.String({ description: 'OpenAI-compatible and Ollama providers only (else 400)' })),
    logprobs: nullable(Type.Integer({ minimum: 0, maximum: 5, description: 'OpenAI-compatible providers only' })),
    logit_bias: nullable(Type.Record(Type.String(), Type.Number())),
    user: Type.Optional(Type.String()),
  },
  {
    additionalProperties: true,
    description:
      'OpenAI completions request; unknown fields pass to OpenAI-compatible upstreams, fields sent as null count as not sent',
  },
);
export type TextCompletionRequest = Static<typeof TextCompletionRequest>;

const ModerationInputPart = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String() }, { additionalProperties: true }),
  Type.Object(
    { type: Type.Literal('image_url'), image_url: Type.Object({ url: Type.String({ minLength: 1 }) }) },
    { additionalProperties: true },
  ),
]);

/** An OpenAI moderations request (POST /v1/moderations). */
export const ModerationRequest = Type.Object(
  {
    model: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A model of kind `moderation` from GET /v1/models; the first configured one if omitted',
      }),
    ),
    input: Type.Union([
      Type.String(),
      Type.Array(Type.String(), { minItems: 1, maxItems: 2048 }),
      Type.Array(ModerationInputPart, { minItems: 1, maxItems: 2048 }),
    ]),
  },
  { additionalProperties: false },
);
export type ModerationRequest = Static<typeof ModerationRequest>;

/** An async chat job (POST /v1/chat with `async: true`, GET /v1/chat/jobs/:id). */
export const ChatJob = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.job'),
    status: Type.Union([
      Type.Literal('queued'),
      Type.Literal('running'),
      Type.Literal('completed'),
      Type.Literal('failed'),
    ]),
    model: Type.String(),
    environment: Type.String(),
    attempts: Type.Integer(),
    result: Type.Optional(Type.Unknown({ description: 'The chat completion, once completed' })),
    error: Type.Optional(Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
    created_at: Type.String(),
    finished_at: Type.Union([Type.String(), Type.Null()]),
    status_url: Type.String(),
    events_url: Type.String(),
  },
  { additionalProperties: true },
);
export type ChatJob = Static<typeof ChatJob>;

export const ChatJobParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
