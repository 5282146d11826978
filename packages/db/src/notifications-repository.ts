import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from './client';
import {
  type NotificationChannelName,
  type NotificationDeliveryMode,
  type NotificationDeliveryRow,
  type NotificationPreferenceRow,
  type NotificationRow,
  notificationContacts,
  notificationDeliveries,
  notificationPreferences,
  notifications,
  type OutboundChannelName,
} from './notifications-schema';
import type { PageOptions } from './page';

export type NewNotification = Pick<
  typeof notifications.$inferInsert,
  'id' | 'userId' | 'kind' | 'title' | 'body' | 'link' | 'data' | 'inApp'
>;

export type NewNotificationDelivery = Pick<
  typeof notificationDeliveries.$inferInsert,
  'id' | 'notificationId' | 'userId' | 'channel' | 'status' | 'batchId'
>;

export interface DeliveryWithNotification {
  delivery: NotificationDeliveryRow;
  notification: NotificationRow;
}

export interface PreferenceChange {
  kind: string;
  channel: NotificationChannelName;
  delivery: NotificationDeliveryMode;
}

/** Notifications, their deliveries and users' choices, in one environment's database; every read is per user. */
export interface NotificationsRepository {
  /** Inserting an id that exists changes nothing and returns undefined (a retried producer). */
  insert(notification: NewNotification): Promise<NotificationRow | undefined>;
  find(id: string): Promise<NotificationRow | undefined>;
  /** The user's in-app notifications, newest first. */
  listForUser(userId: string, page: PageOptions & { unreadOnly?: boolean }): Promise<NotificationRow[]>;
  /** The user's in-app notifications after `afterSequence`, oldest first (the live stream). */
  listAfter(userId: string, afterSequence: number, limit: number): Promise<NotificationRow[]>;
  /** The newest sequence of the user's in-app notifications, 0 when there is none. */
  lastSequence(userId: string): Promise<number>;
  countUnread(userId: string): Promise<number>;
  /** Undefined when the user has no such in-app notification; reading it again keeps the first read time. */
  markRead(userId: string, id: string, now: Date): Promise<NotificationRow | undefined>;
  /** How many were unread. */
  markAllRead(userId: string, now: Date): Promise<number>;

  /** Existing ids are left as they are. */
  insertDeliveries(rows: readonly NewNotificationDelivery[]): Promise<void>;
  deliveriesOf(notificationId: string): Promise<NotificationDeliveryRow[]>;
  /** The batch's rows with their notifications, oldest first. */
  batch(batchId: string): Promise<DeliveryWithNotification[]>;
  markSent(ids: readonly string[], now: Date): Promise<void>;
  markSkipped(ids: readonly string[], reason: string): Promise<void>;
  recordFailure(ids: readonly string[], message: string): Promise<void>;
  /** Users with digest rows not yet in a batch, per channel. */
  pendingDigests(): Promise<Array<{ userId: string; channel: OutboundChannelName }>>;
  /** Batches not sent yet (their job may be waiting, running, dead or lost), oldest first. */
  unsentBatches(limit: number): Promise<Array<{ batchId: string; channel: OutboundChannelName }>>;
  /** Puts the user's unbatched digest rows of `channel` into `batchId`; how many it took. */
  claimDigest(userId: string, channel: OutboundChannelName, batchId: string): Promise<number>;

  preferencesOf(userId: string): Promise<NotificationPreferenceRow[]>;
  setPreferences(userId: string, changes: readonly PreferenceChange[], now: Date): Promise<void>;
  whatsappNumberOf(userId: string): Promise<string | null>;
  setWhatsappNumber(userId: string, number: string | null, now: Date): Promise<void>;
}

export function createNotificationsRepository(db: Db): NotificationsRepository {
  const visible = (userId: string) => and(eq(notifications.userId, userId), eq(notifications.inApp, true));

  return {
    async insert(notification) {
      const [row] = await db.insert(notifications).values(notification).onConflictDoNothing().returning();
      return row;
    },

    async find(id) {
      const [row] = await db.select().from(notifications).where(eq(notifications.id, id));
      return row;
    },

    listForUser: (userId, page) =>
      db
        .select()
        .from(notifications)
        .where(page.unreadOnly ? and(visible(userId), isNull(notifications.readAt)) : visible(userId))
        .orderBy(desc(notifications.sequence))
        .limit(page.limit)
        .offset(page.offset),

    listAfter: (userId, afterSequence, limit) =>
      db
        .select()
        .from(notifications)
        .where(and(visible(userId), gt(notifications.sequence, afterSequence)))
        .orderBy(asc(notifications.sequence))
        .limit(limit),

    async lastSequence(userId) {
      const [row] = await db
        .select({ last: sql<string | number | null>`max(${notifications.sequence})` })
        .from(notifications)
        .where(visible(userId));
      return Number(row?.last ?? 0);
    },

    async countUnread(userId) {
      const [row] = await db
        .select({ unread: count() })
        .from(notifications)
        .where(and(visible(userId), isNull(notifications.readAt)));
      return Number(row?.unread ?? 0);
    },

    async markRead(userId, id, now) {
      const [row] = await db
        .update(notifications)
        .set({ readAt: sql`coalesce(${notifications.readAt}, ${now.toISOString()}::timestamptz)` })
        .where(and(visible(userId), eq(notifications.id, id)))
        .returning();
      return row;
    },

    async markAllRead(userId, now) {
      const rows = await db
        .update(notifications)
        .set({ readAt: now })
        .where(and(visible(userId), isNull(notifications.readAt)))
        .returning({ id: notifications.id });
      return rows.length;
    },

    async insertDeliveries(rows) {
      if (rows.length === 0) return;
      await db
        .insert(notificationDeliveries)
        .values([...rows])
        .onConflictDoNothing();
    },

    deliveriesOf: (notificationId) =>
      db
        .select()
        .from(notificationDeliveries)
        .where(eq(notificationDeliveries.notificationId, notificationId))
        .orderBy(asc(notificationDeliveries.channel)),

    async batch(batchId) {
      const rows = await db
        .select()
        .from(notificationDeliveries)
        .innerJoin(notifications, eq(notifications.id, notificationDeliveries.notificationId))
        .where(eq(notificationDeliveries.batchId, batchId))
        .orderBy(asc(notifications.sequence));
      return rows.map((row) => ({ delivery: row.notification_deliveries, notification: row.notifications }));
    },

    async markSent(ids, now) {
      if (ids.length === 0) return;
      await db
        .update(notificationDeliveries)
        .set({ status: 'sent', sentAt: now, lastError: null, attempts: sql`${notificationDeliveries.attempts} + 1` })
        .where(inArray(notificationDeliveries.id, [...ids]));
    },

    async markSkipped(ids, reason) {
      if (ids.length === 0) return;
      await db
        .update(notificationDeliveries)
        .set({ status: 'skipped', lastError: reason })
        .where(inArray(notificationDeliveries.id, [...ids]));
    },

    async recordFailure(ids, message) {
      if (ids.length === 0) return;
      await db
        .update(notificationDeliveries)
        .set({ lastError: message, attempts: sql`${notificationDeliveries.attempts} + 1` })
        .where(inArray(notificationDeliveries.id, [...ids]));
    },

    async pendingDigests() {
      return db
        .selectDistinct({ userId: notificationDeliveries.userId, channel: notificationDeliveries.channel })
        .from(notificationDeliveries)
        .where(and(eq(notificationDeliveries.status, 'digest'), isNull(notificationDeliveries.batchId)))
        .orderBy(asc(notificationDeliveries.userId), asc(notificationDeliveries.channel));
    },

    async unsentBatches(limit) {
      const rows = await db
        .select({
          batchId: notificationDeliveries.batchId,
          channel: notificationDeliveries.channel,
          first: sql<Date>`min(${notificationDeliveries.createdAt})`,
        })
        .from(notificationDeliveries)
        .where(
          and(inArray(notificationDeliveries.status, ['queued', 'digest']), isNotNull(notificationDeliveries.batchId)),
        )
        .groupBy(notificationDeliveries.batchId, notificationDeliveries.channel)
        .orderBy(sql`min(${notificationDeliveries.createdAt})`)
        .limit(limit);
      return rows.map((row) => ({ batchId: row.batchId ?? '', channel: row.channel }));
    },

    async claimDigest(userId, channel, batchId) {
      const rows = await db
        .update(notificationDeliveries)
        .set({ batchId })
        .where(
          and(
            eq(notificationDeliveries.userId, userId),
            eq(notificationDeliveries.channel, channel),
            eq(notificationDeliveries.status, 'digest'),
            isNull(notificationDeliveries.batchId),
          ),
        )
        .returning({ id: notificationDeliveries.id });
      return rows.length;
    },

    preferencesOf: (userId) =>
      db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId)),

    async setPreferences(userId, changes, now) {
      if (changes.length === 0) return;
      await db
        .insert(notificationPreferences)
        .values(changes.map((change) => ({ userId, ...change, updatedAt: now })))
        .onConflictDoUpdate({
          target: [notificationPreferences.userId, notificationPreferences.kind, notificationPreferences.channel],
          set: { delivery: sql`excluded.delivery`, updatedAt: now },
        });
    },

    async whatsappNumberOf(userId) {
      const [row] = await db.select().from(notificationContacts).where(eq(notificationContacts.userId, userId));
      return row?.whatsappNumber ?? null;
    },

    async setWhatsappNumber(userId, number, now) {
      await db
        .insert(notificationContacts)
        .values({ userId, whatsappNumber: number, updatedAt: now })
        .onConflictDoUpdate({
          target: notificationContacts.userId,
          set: { whatsappNumber: number, updatedAt: now },
        });
    },
  };
}
