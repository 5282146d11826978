import Type, { type Static } from 'typebox';

/**
 * Anthropic's Messages API as Switchyard's ingress accepts it (POST /v1/messages, /v1/messages/count_tokens),
 * so Claude clients and tools can use any configured model. Fields Switchyard does not translate are
 * accepted and ignored (clients send new ones as Anthropic adds them).
 */

const open = { additionalProperties: true } as const;

export const AnthropicTextBlock = Type.Object({ type: Type.Literal('text'), text: Type.String() }, open);

export const AnthropicImageBlock = Type.Object(
  {
    type: Type.Literal('image'),
    source: Type.Union([
      Type.Object(
        {
          type: Type.Literal('base64'),
          media_type: Type.String({ description: 'image/jpeg, image/png, image/gif or image/webp' }),
          data: Type.String(),
        },
        open,
      ),
      Type.Object({ type: Type.Literal('url'), url: Type.String({ minLength: 1 }) }, open),
    ]),
  },
  open,
);

export const AnthropicToolUseBlock = Type.Object(
  { type: Type.Literal('tool_use'), id: Type.String(), name: Type.String(), input: Type.Unknown() },
  open,
);

export const AnthropicToolResultBlock = Type.Object(
  {
    type: Type.Literal('tool_result'),
    tool_use_id: Type.String(),
    content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() }, open))])),
    is_error: Type.Optional(Type.Boolean()),
  },
  open,
);

/** Any other block (thinking, document, ...): text-less blocks are skipped when translating. */
export const AnthropicOtherBlock = Type.Object(
  { type: Type.String({ minLength: 1, not: { enum: ['text', 'image', 'tool_use', 'tool_result'] } }) },
  open,
);

export const AnthropicContentBlock = Type.Union([
  AnthropicTextBlock,
  AnthropicImageBlock,
  AnthropicToolUseBlock,
  AnthropicToolResultBlock,
  AnthropicOtherBlock,
]);
export type AnthropicContentBlock = Static<typeof AnthropicContentBlock>;

export const AnthropicMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.Union([Type.String(), Type.Array(AnthropicContentBlock)]),
  },
  open,
);
export type AnthropicMessage = Static<typeof AnthropicMessage>;

export const AnthropicTool = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    input_schema: Type.Optional(Type.Unknown()),
  },
  open,
);

const countTokensFields = {
  model: Type.String({ minLength: 1, description: 'Any model id from GET /v1/models (of any provider)' }),
  messages: Type.Array(AnthropicMessage, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(AnthropicTextBlock)])),
  tools: Type.Optional(Type.Array(AnthropicTool)),
  tool_choice: Type.Optional(
    Type.Object(
      {
        type: Type.Union([Type.Literal('auto'), Type.Literal('any'), Type.Literal('tool'), Type.Literal('none')]),
        name: Type.Optional(Type.String()),
        disable_parallel_tool_use: Type.Optional(Type.Boolean()),
      },
      open,
    ),
  ),
};

export const AnthropicMessagesRequest = Type.Object(
  {
    ...countTokensFields,
    max_tokens: Type.Integer({ minimum: 1 }),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
    metadata: Type.Optional(Type.Object({ user_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, open)),
  },
  { ...open, description: "Anthropic's Messages API request" },
);
export type AnthropicMessagesRequest = Static<typeof AnthropicMessagesRequest>;

export const AnthropicCountTokensRequest = Type.Object(countTokensFields, {
  ...open,
  description: "Anthropic's count_tokens request (a Messages request without max_tokens)",
});
export type AnthropicCountTokensRequest = Static<typeof AnthropicCountTokensRequest>;

export const AnthropicCountTokensResponse = Type.Object({
  input_tokens: Type.Integer({ description: 'An estimate: one token per word of the text the model would read' }),
});

export const AnthropicUsage = Type.Object({ input_tokens: Type.Integer(), output_tokens: Type.Integer() });

export const AnthropicMessagesResponse = Type.Object({
  id: Type.String(),
  type: Type.Literal('message'),
  role: Type.Literal('assistant'),
  model: Type.String(),
  content: Type.Array(Type.Union([AnthropicTextBlock, AnthropicToolUseBlock])),
  stop_reason: Type.Union([
    Type.Literal('end_turn'),
    Type.Literal('max_tokens'),
    Type.Literal('stop_sequence'),
    Type.Literal('tool_use'),
    Type.Literal('refusal'),
    Type.Null(),
  ]),
  stop_sequence: Type.Union([Type.String(), Type.Null()]),
  usage: AnthropicUsage,
});
export type AnthropicMessagesResponse = Static<typeof AnthropicMessagesResponse>;

export const AnthropicErrorResponse = Type.Object({
  type: Type.Literal('error'),
  error: Type.Object({
    type: Type.String({ description: 'invalid_request_error, authentication_error, rate_limit_error, ...' }),
    message: Type.String(),
    code: Type.Optional(Type.String({ description: "Switchyard's stable SY_ERR_* code" })),
  }),
});
