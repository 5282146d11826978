import Type from 'typebox';

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { description: 'Switchyard error: a stable SY_ERR_* code and a human-readable message' },
);

export const OpenAIErrorResponse = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String(),
      param: Type.Union([Type.String(), Type.Null()]),
      code: Type.String(),
    }),
  },
  { description: 'OpenAI-shaped error; `code` is the stable SY_ERR_* code' },
);

const ContentPart = Type.Object({ type: Type.String() }, { additionalProperties: true });

export const ChatMessageSchema = Type.Object(
  {
    role: Type.Union([
      Type.Literal('system'),
      Type.Literal('developer'),
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('tool'),
    ]),
    content: Type.Union([Type.String(), Type.Array(ContentPart), Type.Null()]),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    tool_call_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const ChatCompletionRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'A model id from GET /v1/models' }),
    messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(
      Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()]),
    ),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1 }), Type.Null()])),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 }), Type.Null()])),
    seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'OpenAI chat-completions request; unknown fields pass to the upstream' },
);

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
  },
  { additionalProperties: false },
);

export const Usage = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
});

export const NativeChatResponse = Type.Object({
  id: Type.String(),
  model: Type.String(),
  environment: Type.Union([Type.Literal('prod'), Type.Literal('dev')]),
  served_by: Type.String({ description: 'The deployment that answered: provider/upstream model' }),
  message: Type.Object({ role: Type.Literal('assistant'), content: Type.String() }),
  finish_reason: Type.Union([Type.String(), Type.Null()]),
  usage: Usage,
  latency_ms: Type.Number(),
});

export const NativeModel = Type.Object({
  id: Type.String(),
  label: Type.Union([Type.String(), Type.Null()], { description: 'Fast, Smart, Test, ...' }),
  description: Type.Union([Type.String(), Type.Null()]),
  provider: Type.String(),
  default: Type.Boolean(),
});

export const OpenAIModel = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
});
