/**
 * The gift finder's events. Their definitions live in @switchyard/events (packages cannot import the
 * server, and the platform catalog is assembled there); this file names their payload types for the
 * services here.
 */
import type {
  EventEnvelope,
  EventPayload,
  GiftIdea,
  GiftInterviewSummary,
  GiftProduct,
  GiftUsage,
  PlatformEvents,
} from '@switchyard/events';
import type { Static } from 'typebox';

export type GiftEventName =
  | 'ChatStartInterview'
  | 'ChatQuestionAsked'
  | 'ChatUserAnswered'
  | 'ChatInterviewCompleted'
  | 'ChatInappropriateRequest'
  | 'StalkingAnalyzeRequested'
  | 'StalkingCompleted'
  | 'GiftGenerateRequested'
  | 'GiftIdeasReady'
  | 'ProductsFetchRequested'
  | 'ProductsFetched'
  | 'GiftReady'
  | 'GiftSessionFailed';

export type GiftPayload<Name extends GiftEventName> = EventPayload<PlatformEvents, Name>;
export type GiftEvent<Name extends GiftEventName> = EventEnvelope<GiftPayload<Name>>;
export type Summary = Static<typeof GiftInterviewSummary>;
export type Idea = Static<typeof GiftIdea>;
export type Product = Static<typeof GiftProduct>;
export type Usage = Static<typeof GiftUsage>;
export type GiftStage = 'interview' | 'profile' | 'ideas' | 'fetch' | 'rerank';

export const noUsage: Usage = Object.freeze({ promptTokens: 0, completionTokens: 0, cost: 0 });

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    cost: Math.round((a.cost + b.cost) * 1e8) / 1e8,
  };
}
