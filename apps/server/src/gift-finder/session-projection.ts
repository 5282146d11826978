import { createGiftSessionsRepository, type GiftSessionsRepository } from '@switchyard/db';
import type { EventEnvelope } from '@switchyard/events';
import type { GiftEvent, GiftEventName, Product } from './gift-events';
import { type GiftServiceContext, inService } from './gift-service-context';

/** Keeps the API's read model (schema gift_sessions) up to date from every service's events. */
export const sessionsGroup = 'gift-sessions';

const projected: Array<GiftEventName | 'FlowStageChanged'> = [
  'ChatQuestionAsked',
  'ChatUserAnswered',
  'ChatInterviewCompleted',
  'ChatInappropriateRequest',
  'StalkingCompleted',
  'GiftIdeasReady',
  'ProductsFetchRequested',
  'ProductsFetched',
  'GiftReady',
  'GiftSessionFailed',
  'FlowStageChanged',
];

export function productRows(sessionId: string, products: readonly Product[], now: Date) {
  return products.map((product) => ({ ...product, sessionId, createdAt: now }));
}

/**
 * Every write is idempotent and commutative (inserts keyed by id, stages and statuses that only move
 * forward), so events may arrive twice or out of order.
 */
async function project(sessions: GiftSessionsRepository, event: EventEnvelope, now: Date): Promise<void> {
  const sessionId = event.flowId;
  if (sessionId === null || !(await sessions.find(sessionId))) return;
  switch (event.name) {
    case 'FlowStageChanged': {
      const { stage, status, message, progress } = (
        event as EventEnvelope<{
          stage: string;
          status: string;
          message?: string;
          progress?: number;
        }>
      ).payload;
      await sessions.setStage({
        sessionId,
        stage,
        status: status === 'progress' ? 'started' : status,
        message: message ?? null,
        progress: progress ?? null,
        updatedAt: now,
      });
      return;
    }
    case 'ChatQuestionAsked': {
      const { message, usage } = (event as GiftEvent<'ChatQuestionAsked'>).payload;
      await sessions.addMessage({ ...message, sessionId, role: 'assistant', createdAt: new Date(message.createdAt) });
      await sessions.questionAsked(sessionId, message.turn, now);
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
    case 'ChatUserAnswered': {
      const { message } = (event as GiftEvent<'ChatUserAnswered'>).payload;
      await sessions.addMessage({ ...message, sessionId, role: 'user', createdAt: new Date(message.createdAt) });
      return;
    }
    case 'ChatInterviewCompleted': {
      const { summary, usage } = (event as GiftEvent<'ChatInterviewCompleted'>).payload;
      await sessions.update(sessionId, { summary }, now);
      await sessions.setStatus(sessionId, 'searching', now);
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
    case 'ChatInappropriateRequest': {
      const { message, usage } = (event as GiftEvent<'ChatInappropriateRequest'>).payload;
      await sessions.addMessage({ ...message, sessionId, role: 'assistant', createdAt: new Date(message.createdAt) });
      await sessions.setStatus(sessionId, 'refused', now);
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
    case 'StalkingCompleted': {
      const { status, interests, failures, usage } = (event as GiftEvent<'StalkingCompleted'>).payload;
      await sessions.update(
        sessionId,
        {
          profileStatus: status,
          profileInterests: interests,
          profileFailures: failures.filter((failure) => failure.url),
        },
        now,
      );
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
    case 'GiftIdeasReady': {
      const { ideas, usage } = (event as GiftEvent<'GiftIdeasReady'>).payload;
      await sessions.putIdeas(ideas.map((idea, position) => ({ ...idea, sessionId, position })));
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
    case 'ProductsFetchRequested': {
      const { marketplace } = (event as GiftEvent<'ProductsFetchRequested'>).payload;
      await sessions.putMarketplace({ sessionId, marketplace, status: 'pending', message: null, count: 0 });
      return;
    }
    case 'ProductsFetched': {
      const { marketplace, status, message, results } = (event as GiftEvent<'ProductsFetched'>).payload;
      const products = results.flatMap((result) => result.products);
      await sessions.putProducts(productRows(sessionId, products, now));
      await sessions.putMarketplace({
        sessionId,
        marketplace,
        status,
        message: message ?? null,
        count: products.length,
      });
      return;
    }
    case 'GiftReady': {
      const { ranking, products, usage } = (event as GiftEvent<'GiftReady'>).payload;
      await sessions.putProducts(productRows(sessionId, products, now));
      await sessions.update(sessionId, { ranking }, now);
      await sessions.setStatus(sessionId, 'ready', now);
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
    case 'GiftSessionFailed': {
      const { usage } = (event as GiftEvent<'GiftSessionFailed'>).payload;
      await sessions.setStatus(sessionId, 'failed', now);
      await sessions.addUsage(sessionId, event.id, usage);
      return;
    }
  }
}

export function createSessionProjection(context: GiftServiceContext) {
  return {
    async subscribe(): Promise<void> {
      await context.bus.subscribe(sessionsGroup, projected, (event) =>
        inService(context, event.environment, 'sessions', (db) =>
          project(createGiftSessionsRepository(db), event as EventEnvelope, context.now()),
        ),
      );
    },
  };
}
