import { SwitchyardError } from '@switchyard/core';
import type { NotificationChannelName, NotificationDeliveryMode } from '@switchyard/db';

export interface NotificationKind {
  readonly name: string;
  /** Shown next to the kind on the preferences page. */
  readonly description: string;
  /** What a user who never chose gets on each channel. */
  readonly defaults: Readonly<Record<NotificationChannelName, NotificationDeliveryMode>>;
}

/**
 * Every kind of notification the platform sends. A capability that notifies adds its kind here; users
 * choose per kind and channel, and an email's unsubscribe link turns off the email of its kind only.
 */
export const notificationKinds: readonly NotificationKind[] = Object.freeze([
  {
    name: 'saved-search.results',
    description: 'New results of a saved search',
    defaults: { in_app: 'immediate', email: 'immediate', whatsapp: 'off' },
  },
  {
    name: 'budget.soft-limit',
    description: "Your plan's token or spend budget is nearly used up",
    defaults: { in_app: 'immediate', email: 'immediate', whatsapp: 'off' },
  },
  {
    name: 'budget.exhausted',
    description: "Your plan's budget is used up: requests are refused until it resets",
    defaults: { in_app: 'immediate', email: 'immediate', whatsapp: 'off' },
  },
  {
    name: 'system.test',
    description: 'Test notifications an administrator sends',
    defaults: { in_app: 'immediate', email: 'immediate', whatsapp: 'off' },
  },
]);

export function findNotificationKind(name: string): NotificationKind | undefined {
  return notificationKinds.find((kind) => kind.name === name);
}

export function requireNotificationKind(name: string): NotificationKind {
  const kind = findNotificationKind(name);
  if (!kind) throw new SwitchyardError('SY_ERR_VALIDATION', `Unknown notification kind '${name}'`);
  return kind;
}
