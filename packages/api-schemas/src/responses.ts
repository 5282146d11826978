import Type, { type Static } from 'typebox';

/**
 * OpenAI's Responses API as Switchyard accepts it (POST /v1/responses, GET/DELETE /v1/responses/{id}),
 * translated to every provider through the internal chat request. Function tools only: built-in tools
 * (web_search, file_search, ...) are refused with a 400 naming them.
 */

const open = { additionalProperties: true } as const;
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Optional(Type.Union([schema, Type.Null()]));

export const ResponsesInputItem = Type.Object(
  {
    type: Type.Optional(
      Type.String({ description: 'message (default when `role` is set), function_call or function_call_output' }),
    ),
    role: Type.Optional(Type.String({ description: 'user, assistant, system or developer' })),
    content: Type.Optional(
      Type.Union([
        Type.String(),
        Type.Array(
          Type.Object({ type: Type.String() }, { ...open, description: 'input_text, input_image, output_text' }),
        ),
      ]),
    ),
    call_id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    arguments: Type.Optional(Type.String()),
    output: Type.Optional(Type.Unknown()),
  },
  open,
);
export type ResponsesInputItem = Static<typeof ResponsesInputItem>;

export const ResponsesRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'A model id from GET /v1/models (any provider)' }),
    input: Type.Union([Type.String(), Type.Array(ResponsesInputItem, { minItems: 1 })]),
    instructions: nullable(Type.String()),
    previous_response_id: nullable(Type.String({ minLength: 1 })),
    store: Type.Optional(
      Type.Union([Type.Boolean(), Type.Null()], {
        description: 'Default true: kept for the retention (setting responses.retention_days)',
      }),
    ),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    tools: Type.Optional(Type.Union([Type.Array(Type.Object({ type: Type.String() }, open)), Type.Null()])),
    tool_choice: Type.Optional(Type.Unknown()),
    parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    text: Type.Optional(Type.Unknown()),
    user: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Unknown()),
  },
  { ...open, description: "OpenAI's Responses API request; unknown fields are accepted and ignored" },
);
export type ResponsesRequest = Static<typeof ResponsesRequest>;

export const ResponseObject = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('response'),
    created_at: Type.Integer(),
    status: Type.String({ description: 'completed, incomplete or failed' }),
    model: Type.String(),
    output: Type.Array(Type.Object({ type: Type.String() }, open)),
    usage: Type.Optional(Type.Unknown()),
  },
  { ...open, description: "OpenAI's response object" },
);

export const ResponseIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

export const ResponseDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('response.deleted'),
  deleted: Type.Boolean(),
});
