import type { Environment } from '@switchyard/core';
import { type Db, type GiftService, withGiftServiceRole } from '@switchyard/db';
import type { EventContext, EventEnvelope, EventHandler, EventPayload, PlatformEvents } from '@switchyard/events';
import type { Logger } from 'pino';
import { handlerLog, type PlatformEventBus } from '../events/event-bus';
import type { Databases } from '../infrastructure/databases';
import type { GiftPayload, GiftStage, Usage } from './gift-events';
import { noUsage } from './gift-events';
import { GiftModelOutputError } from './gift-model';

/** What every gift-finder service gets. */
export interface GiftServiceContext {
  readonly bus: PlatformEventBus;
  readonly databases: Databases;
  /** Server mode with `giftFinder.serviceRoles`: each service's transactions run as its own role. */
  readonly useRoles: boolean;
  readonly logger: Pick<Logger, 'warn' | 'info' | 'child'>;
  /** A clock tests can move (Retry-After). */
  readonly now: () => Date;
}

/** Runs `work` in a transaction of the service's schema in the event's environment. */
export function inService<T>(
  context: GiftServiceContext,
  environment: Environment,
  service: GiftService,
  work: (db: Db) => Promise<T>,
): Promise<T> {
  return withGiftServiceRole(context.databases[environment].db, service, context.useRoles, work);
}

type Publishable = Parameters<PlatformEventBus['publish']>[0];

/**
 * The context a handler of `event` works in: what it publishes carries the request id the event came with
 * (its `trace.requestId`, from the X-Request-Id of the request that started the chain), and its log lines
 * carry it as `reqId`. Without one, the context itself.
 */
export function forEvent(context: GiftServiceContext, event: Pick<EventEnvelope, 'trace'>): GiftServiceContext {
  const requestId = event.trace?.requestId;
  if (!requestId) return context;
  const trace = { requestId };
  const bus: PlatformEventBus = Object.assign(Object.create(context.bus) as PlatformEventBus, {
    publish: ((name, payload, options) =>
      context.bus.publish(name, payload, {
        ...options,
        trace: { ...trace, ...options.trace },
      })) as PlatformEventBus['publish'],
  });
  return { ...context, bus, logger: handlerLog(context.logger, event) };
}

/**
 * Subscribes a handler built for each delivery by `handlerIn` from the context scoped to its event
 * (forEvent), so the service's functions publish and log with the request id the event came with.
 */
export function subscribeForEvent<Name extends Publishable>(
  context: GiftServiceContext,
  group: string,
  names: Name | readonly Name[],
  handlerIn: (context: GiftServiceContext) => EventHandler<EventPayload<PlatformEvents, Name>>,
): Promise<void> {
  return context.bus.subscribe(group, names, (event, delivery) => handlerIn(forEvent(context, event))(event, delivery));
}

/**
 * Publishes an event of the session's flow under a deterministic id: a handler that runs again
 * (redelivery after a crash) publishes the same ids, which every consumer group skips.
 */
export function publishFor<Name extends Publishable>(
  context: GiftServiceContext,
  environment: Environment,
  sessionId: string,
  name: Name,
  payload: Parameters<PlatformEventBus['publish']>[1] & Parameters<PlatformEventBus['publish']>[1],
  idSuffix: string,
) {
  return context.bus.publish(name, payload as never, {
    environment,
    flowId: sessionId,
    id: `${sessionId}-${idSuffix}`.slice(0, 100),
  });
}

export function publishStage(
  context: GiftServiceContext,
  environment: Environment,
  sessionId: string,
  stage: GiftStage,
  status: 'started' | 'progress' | 'completed' | 'failed',
  extra: { message?: string; progress?: number; idSuffix?: string } = {},
) {
  const { idSuffix, ...rest } = extra;
  return publishFor(
    context,
    environment,
    sessionId,
    'FlowStageChanged',
    { stage, status, ...rest },
    `${stage}-${status}${idSuffix ? `-${idSuffix}` : ''}`,
  );
}

/** The session cannot go on: the stage failed, the session failed, the flow ended. */
export async function failSession(
  context: GiftServiceContext,
  environment: Environment,
  sessionId: string,
  stage: GiftStage,
  message: string,
  usage: Usage = noUsage,
): Promise<void> {
  const payload: GiftPayload<'GiftSessionFailed'> = { sessionId, stage, message: message.slice(0, 2_000), usage };
  await publishStage(context, environment, sessionId, stage, 'failed', { message: message.slice(0, 2_000) });
  await publishFor(context, environment, sessionId, 'GiftSessionFailed', payload, `failed-${stage}`);
  await publishFor(
    context,
    environment,
    sessionId,
    'FlowCompleted',
    { outcome: 'failed', message: message.slice(0, 2_000) },
    'done',
  );
}

/**
 * A handler's body: the model answering nonsense fails the stage (never the handler); any other
 * fault is retried by the bus, and on the last attempt fails the stage too, so no session hangs.
 */
export async function guarded(
  context: GiftServiceContext,
  event: EventEnvelope<{ sessionId: string }>,
  delivery: EventContext,
  stage: GiftStage,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    const { sessionId } = event.payload;
    if (error instanceof GiftModelOutputError) {
      context.logger.warn({ sessionId, stage, reason: error.message }, 'gift finder: model output unusable');
      await failSession(context, event.environment, sessionId, stage, error.message, error.usage);
      return;
    }
    if (delivery.attempt < delivery.maxAttempts) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    context.logger.warn({ sessionId, stage, reason }, 'gift finder: giving up on a stage');
    await failSession(context, event.environment, sessionId, stage, `The ${stage} step failed: ${reason}`);
  }
}
