import { isSwitchyardError } from '@switchyard/core';
import type { EventEnvelope, EventName, EventPayload, PlatformEvents } from '@switchyard/events';
import type { Logger } from 'pino';
import type { PlatformEventBus } from '../events/event-bus';
import type { NotificationService, NotifyInput } from './notification-service';

/** The consumer group that turns domain events into notifications. */
export const notificationsGroup = 'notifications';

/** What one event becomes: notifications without environment and key (the event's are used). */
export type EventNotification = Omit<NotifyInput, 'environment' | 'key'>;

export type EventNotificationMapping<Name extends EventName<PlatformEvents>> = (
  event: EventEnvelope<EventPayload<PlatformEvents, Name>>,
) => EventNotification | readonly EventNotification[] | null;

export type EventNotificationMappings = {
  readonly [Name in EventName<PlatformEvents>]?: EventNotificationMapping<Name>;
};

/**
 * Which events notify whom: an entry per event of the catalog. The key of each notification is derived
 * from the event id, so a redelivered event notifies once.
 */
export const eventNotificationMappings: EventNotificationMappings = {
  // A saved search's run found results it had not seen before.
  SavedSearchResultsFound: (event) => ({
    userId: event.payload.userId,
    kind: 'saved-search.results',
    title: `${event.payload.newResults} new result${event.payload.newResults === 1 ? '' : 's'} for “${event.payload.name}”`,
    body: (
      event.payload.summary ?? event.payload.results.map((result) => `${result.title}\n${result.url}`).join('\n\n')
    ).slice(0, 4_000),
    link: '/searches',
    data: { searchId: event.payload.searchId, runId: event.payload.runId },
  }),
};

/**
 * Subscribes the `notifications` group to every mapped event (worker roles). Each event's notifications
 * are stored and queued before it is acknowledged; a failure is retried by the bus and dead-lettered there.
 */
export async function subscribeEventNotifications(
  bus: PlatformEventBus,
  notifications: Pick<NotificationService, 'notify'>,
  logger: Logger,
  mappings: EventNotificationMappings = eventNotificationMappings,
): Promise<void> {
  const names = Object.keys(mappings) as Array<EventName<PlatformEvents>>;
  if (names.length === 0) return;
  await bus.subscribe(notificationsGroup, names, async (event) => {
    const mapping = mappings[event.name as EventName<PlatformEvents>] as
      | ((event: EventEnvelope) => EventNotification | readonly EventNotification[] | null)
      | undefined;
    const produced = mapping?.(event);
    if (!produced) return;
    const list = Array.isArray(produced) ? produced : [produced as EventNotification];
    for (const [index, notification] of list.entries()) {
      try {
        await notifications.notify({
          ...notification,
          environment: event.environment,
          key: `event:${event.id}:${index}`,
        });
      } catch (error) {
        // A user deleted since the event was published: retrying cannot help, and nobody is left to tell.
        if (!(isSwitchyardError(error) && error.code === 'SY_ERR_NOT_FOUND')) throw error;
        logger.info({ event: event.name, eventId: event.id }, 'event notification skipped: no such user');
      }
    }
    logger.debug({ event: event.name, count: list.length }, 'event notifications stored');
  });
}
