import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { jsonValue } from './json-column';

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const notificationChannels = ['in_app', 'email', 'whatsapp'] as const;
export type NotificationChannelName = (typeof notificationChannels)[number];
/** Channels that send outside the app, each through a `notification.deliver` job. */
export type OutboundChannelName = Exclude<NotificationChannelName, 'in_app'>;
export const notificationDeliveryModes = ['off', 'immediate', 'daily'] as const;
export type NotificationDeliveryMode = (typeof notificationDeliveryModes)[number];
export const notificationDeliveryStatuses = ['queued', 'digest', 'sent', 'skipped'] as const;
export type NotificationDeliveryStatus = (typeof notificationDeliveryStatuses)[number];

/**
 * A notification for one user, in the database of the environment it happened in. No foreign key to
 * users: users live in the prod database while this table exists in both. `sequence` orders a user's
 * notifications for the live stream (clients resume after it with Last-Event-ID).
 */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    sequence: bigint('sequence', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    userId: text('user_id').notNull(),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    link: text('link'),
    data: jsonValue('data'),
    /** False when the user turned the in-app channel off for this kind: kept for the other channels, never listed. */
    inApp: boolean('in_app').notNull().default(true),
    readAt: timestampColumn('read_at'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
  },
  (table) => [
    index('notifications_user_sequence_idx').on(table.userId, table.sequence),
    index('notifications_user_unread_idx').on(table.userId).where(sql`${table.readAt} IS NULL AND ${table.inApp}`),
  ],
);

/**
 * One notification on one outbound channel. Rows sent together share a `batch_id` (a digest; an immediate
 * delivery is a batch of one), which the `notification.deliver` job names: a retried job finds what was
 * already sent and sends nothing twice.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: text('id').primaryKey(),
    notificationId: text('notification_id')
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    channel: text('channel', { enum: ['email', 'whatsapp'] }).notNull(),
    status: text('status', { enum: notificationDeliveryStatuses }).notNull(),
    batchId: text('batch_id'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    sentAt: timestampColumn('sent_at'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
  },
  (table) => [
    check('notification_deliveries_channel_check', sql`${table.channel} IN ('email', 'whatsapp')`),
    check('notification_deliveries_status_check', sql`${table.status} IN ('queued', 'digest', 'sent', 'skipped')`),
    index('notification_deliveries_batch_idx').on(table.batchId),
    index('notification_deliveries_digest_idx')
      .on(table.userId, table.channel)
      .where(sql`${table.status} = 'digest' AND ${table.batchId} IS NULL`),
  ],
);

/** A user's choice for one kind on one channel; a missing row means the kind's default. */
export const notificationPreferences = pgTable(
  'notification_preferences',
  {
    userId: text('user_id').notNull(),
    kind: text('kind').notNull(),
    channel: text('channel', { enum: notificationChannels }).notNull(),
    delivery: text('delivery', { enum: notificationDeliveryModes }).notNull(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'notification_preferences_pkey', columns: [table.userId, table.kind, table.channel] }),
    check('notification_preferences_channel_check', sql`${table.channel} IN ('in_app', 'email', 'whatsapp')`),
    check('notification_preferences_delivery_check', sql`${table.delivery} IN ('off', 'immediate', 'daily')`),
  ],
);

/** Where a user's WhatsApp notifications go (accounts have an email address but no phone number). */
export const notificationContacts = pgTable('notification_contacts', {
  userId: text('user_id').primaryKey(),
  whatsappNumber: text('whatsapp_number'),
  updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
});

export type NotificationRow = typeof notifications.$inferSelect;
export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;
export type NotificationPreferenceRow = typeof notificationPreferences.$inferSelect;
