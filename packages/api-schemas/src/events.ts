import Type, { type Static } from 'typebox';
import { deadJobPage, Environment, ErrorResponse, pageQueryFields } from './common';

/** One event as the bus carried it. */
export const EventEnvelopeSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The event name from the catalog, e.g. FlowStageChanged' }),
  version: Type.Integer({ description: "The catalog's version of the payload schema" }),
  environment: Environment,
  flow_id: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Unknown(),
  published_at: Type.String({ format: 'date-time' }),
});
export type EventEnvelopeSchema = Static<typeof EventEnvelopeSchema>;

export const EventDeadLetter = Type.Object({
  id: Type.String(),
  group: Type.String({ description: 'The consumer group that gave up on the event' }),
  attempts: Type.Integer(),
  last_error: Type.Object({
    message: Type.String(),
    code: Type.Union([Type.String(), Type.Null()], { description: 'A stable SY_ERR_* code when the failure had one' }),
  }),
  dead_at: Type.String({ format: 'date-time' }),
  event: EventEnvelopeSchema,
});
export type EventDeadLetter = Static<typeof EventDeadLetter>;

export const EventDeadLettersQuery = Type.Object({
  group: Type.Optional(Type.String({ maxLength: 63, description: 'Only this consumer group’s dead letters' })),
  ...pageQueryFields(deadJobPage),
});
export type EventDeadLettersQuery = Static<typeof EventDeadLettersQuery>;

export const EventDeadLetterList = Type.Object({
  backend: Type.Union([Type.Literal('embedded'), Type.Literal('redis'), Type.Literal('rabbitmq')]),
  dead_letters: Type.Array(EventDeadLetter),
});
export type EventDeadLetterList = Static<typeof EventDeadLetterList>;

export const EventDeadLetterResponses = {
  200: EventDeadLetter,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  503: ErrorResponse,
};

/** `:flowId` of a flow whose events a client follows. */
export const FlowIdParams = Type.Object({ flowId: Type.String({ minLength: 1, maxLength: 100 }) });
export type FlowIdParams = Static<typeof FlowIdParams>;
