import Type, { type Static } from 'typebox';

/**
 * Ollama's API as Switchyard's ingress accepts it (/api/tags, /api/chat, /api/generate, /api/embed,
 * /api/embeddings, /api/show, /api/version, /api/ps), so Ollama clients and tools can use any configured
 * model. Fields Switchyard does not translate (keep_alive, think, raw, context, ...) are accepted and ignored.
 */

const open = { additionalProperties: true } as const;

export const OllamaOptions = Type.Object(
  {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    num_predict: Type.Optional(Type.Integer({ description: 'Maximum tokens to generate; -1 or absent: no limit' })),
    stop: Type.Optional(Type.Array(Type.String())),
    seed: Type.Optional(Type.Integer()),
    presence_penalty: Type.Optional(Type.Number()),
    frequency_penalty: Type.Optional(Type.Number()),
  },
  { ...open, description: 'Model options; those without an OpenAI counterpart (num_ctx, top_k, ...) are ignored' },
);

const format = Type.Optional(
  Type.Union([Type.Literal(''), Type.Literal('json'), Type.Object({}, open)], {
    description: '"json" or a JSON schema the answer must follow',
  }),
);

const OllamaToolCall = Type.Object(
  { function: Type.Object({ name: Type.String(), arguments: Type.Unknown() }, open) },
  open,
);

export const OllamaChatMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant'), Type.Literal('tool')]),
    content: Type.Optional(Type.String()),
    images: Type.Optional(Type.Array(Type.String(), { description: 'Base64-encoded images' })),
    tool_calls: Type.Optional(Type.Array(OllamaToolCall)),
    tool_name: Type.Optional(Type.String()),
  },
  open,
);
export type OllamaChatMessage = Static<typeof OllamaChatMessage>;

const modelField = Type.String({ minLength: 1, description: 'A model id from /api/tags (any provider)' });

export const OllamaChatRequest = Type.Object(
  {
    model: modelField,
    messages: Type.Array(OllamaChatMessage, { minItems: 1 }),
    tools: Type.Optional(Type.Array(Type.Unknown())),
    format,
    options: Type.Optional(OllamaOptions),
    stream: Type.Optional(Type.Boolean({ description: 'Default true: NDJSON, one object per line' })),
  },
  open,
);
export type OllamaChatRequest = Static<typeof OllamaChatRequest>;

export const OllamaGenerateRequest = Type.Object(
  {
    model: modelField,
    prompt: Type.Optional(Type.String({ description: 'Empty or absent: the model is "loaded", nothing generated' })),
    system: Type.Optional(Type.String()),
    images: Type.Optional(Type.Array(Type.String())),
    format,
    options: Type.Optional(OllamaOptions),
    stream: Type.Optional(Type.Boolean({ description: 'Default true: NDJSON, one object per line' })),
  },
  open,
);
export type OllamaGenerateRequest = Static<typeof OllamaGenerateRequest>;

export const OllamaEmbedRequest = Type.Object(
  {
    model: modelField,
    input: Type.Union([
      Type.String({ minLength: 1 }),
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 2048 }),
    ]),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  open,
);
export type OllamaEmbedRequest = Static<typeof OllamaEmbedRequest>;

export const OllamaLegacyEmbeddingsRequest = Type.Object(
  { model: modelField, prompt: Type.String({ minLength: 1 }) },
  open,
);
export type OllamaLegacyEmbeddingsRequest = Static<typeof OllamaLegacyEmbeddingsRequest>;

export const OllamaShowRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Older clients send the model here' })),
  },
  open,
);
export type OllamaShowRequest = Static<typeof OllamaShowRequest>;

export const OllamaModelDetails = Type.Object({
  parent_model: Type.String(),
  format: Type.String(),
  family: Type.String({ description: 'The Switchyard provider that serves the model' }),
  families: Type.Array(Type.String()),
  parameter_size: Type.String(),
  quantization_level: Type.String(),
});

export const OllamaTagList = Type.Object({
  models: Type.Array(
    Type.Object({
      name: Type.String(),
      model: Type.String(),
      modified_at: Type.String(),
      size: Type.Integer(),
      digest: Type.String(),
      details: OllamaModelDetails,
    }),
  ),
});

export const OllamaShowResponse = Type.Object({
  modelfile: Type.String(),
  parameters: Type.String(),
  template: Type.String(),
  details: OllamaModelDetails,
  model_info: Type.Object({}, open),
  capabilities: Type.Array(Type.String()),
  modified_at: Type.String(),
});

const timings = {
  total_duration: Type.Integer({ description: 'Nanoseconds' }),
  load_duration: Type.Integer(),
  prompt_eval_count: Type.Integer(),
  prompt_eval_duration: Type.Integer(),
  eval_count: Type.Integer(),
  eval_duration: Type.Integer(),
};

export const OllamaChatResponse = Type.Object(
  {
    model: Type.String(),
    created_at: Type.String(),
    message: Type.Object({ role: Type.Literal('assistant'), content: Type.String() }, open),
    done: Type.Boolean(),
    done_reason: Type.Optional(Type.String()),
    ...Object.fromEntries(Object.entries(timings).map(([key, schema]) => [key, Type.Optional(schema)])),
  },
  { ...open, description: 'With stream (the default) one such object per line, the last with done: true' },
);

export const OllamaGenerateResponse = Type.Object(
  {
    model: Type.String(),
    created_at: Type.String(),
    response: Type.String(),
    done: Type.Boolean(),
    done_reason: Type.Optional(Type.String()),
  },
  { ...open, description: 'With stream (the default) one such object per line, the last with done: true' },
);

export const OllamaEmbedResponse = Type.Object({
  model: Type.String(),
  embeddings: Type.Array(Type.Array(Type.Number())),
  total_duration: Type.Integer(),
  load_duration: Type.Integer(),
  prompt_eval_count: Type.Integer(),
});

export const OllamaLegacyEmbeddingsResponse = Type.Object({ embedding: Type.Array(Type.Number()) });

export const OllamaVersion = Type.Object({
  version: Type.String({ description: 'The Ollama API version this ingress speaks' }),
});

export const OllamaErrorResponse = Type.Object({ error: Type.String() });
