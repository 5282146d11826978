import { and, asc, desc, eq, isNotNull, not, type SQL, sql } from 'drizzle-orm';
import type { Db } from './client';
import {
  type WhatsAppContactRow,
  type WhatsAppDeliveryRow,
  type WhatsAppInboundInsert,
  type WhatsAppInboundRow,
  type WhatsAppMessageInsert,
  type WhatsAppMessageRow,
  type WhatsAppStatusInsert,
  type WhatsAppStatusRow,
  whatsappContacts,
  whatsappDeliveries,
  whatsappInbound,
  whatsappMessages,
  whatsappStatuses,
} from './whatsapp-schema';

/** WhatsApp messages both ways, their delivery statuses, senders and webhook deliveries, in one environment's database. */
export interface WhatsAppRepository {
  insertMessage(message: WhatsAppMessageInsert): Promise<void>;
  /** The stored row; undefined when a message with this id exists already (it is left as it is). */
  insertMessageOnce(message: WhatsAppMessageInsert): Promise<WhatsAppMessageRow | undefined>;
  findMessage(id: string): Promise<WhatsAppMessageRow | undefined>;
  /** The message if this subject sent it; another subject's reads as missing. */
  findMessageForSubject(id: string, subject: string): Promise<WhatsAppMessageRow | undefined>;
  markSending(id: string, attempt: number): Promise<void>;
  /**
   * Marks the message sending (this attempt) and returns it, in one statement, when it is to be sent
   * from this phone number and is not sent yet; undefined otherwise (missing, sent, another number).
   */
  startSending(id: string, phoneNumberId: string, attempt: number): Promise<WhatsAppMessageRow | undefined>;
  markSent(id: string, wamid: string, at: Date): Promise<void>;
  markFailed(id: string, code: string, message: string): Promise<void>;
  /** Back to queued after a failed attempt that will be retried, keeping the reason. */
  markRetrying(id: string, code: string, message: string): Promise<void>;
  /** false when this status of this message was already recorded (a redelivery). */
  recordStatus(status: WhatsAppStatusInsert): Promise<boolean>;
  statusesOf(wamid: string): Promise<WhatsAppStatusRow[]>;
  /** false when the message id is known already (the platform redelivered it). */
  recordInbound(message: WhatsAppInboundInsert): Promise<boolean>;
  findInbound(wamid: string): Promise<WhatsAppInboundRow | undefined>;
  setInboundText(wamid: string, text: string): Promise<void>;
  markInboundHandled(wamid: string, outcome: string): Promise<void>;
  /** When this sender last wrote (the start of the 24-hour customer-service window). */
  lastInboundAt(sender: string): Promise<Date | null>;
  /** The sender's newest inbound message. */
  latestInbound(sender: string): Promise<WhatsAppInboundRow | undefined>;
  findContact(waId: string): Promise<WhatsAppContactRow | undefined>;
  /** Creates or updates the sender's row, and returns it; `lastInboundAt` only ever moves forward. */
  touchContact(contact: {
    waId: string;
    environment: string;
    profileName: string | null;
    lastInboundAt: Date;
  }): Promise<WhatsAppContactRow>;
  setConversation(waId: string, conversationId: string | null): Promise<void>;
  setOptedOut(waId: string, optedOut: boolean): Promise<void>;
  recentContacts(limit: number): Promise<WhatsAppContactRow[]>;
  insertDelivery(delivery: { id: string; environment: string; payload: unknown }): Promise<void>;
  findDelivery(id: string): Promise<WhatsAppDeliveryRow | undefined>;
  markDeliveryProcessed(id: string): Promise<void>;
  lastDelivery(): Promise<WhatsAppDeliveryRow | undefined>;
  /** Outbound messages to one recipient, newest first (admin view). */
  recentMessagesTo(recipient: string, limit: number): Promise<WhatsAppMessageRow[]>;
}

export function createWhatsAppRepository(db: Db): WhatsAppRepository {
  return {
    async insertMessage(message) {
      await db.insert(whatsappMessages).values(message);
    },

    async insertMessageOnce(message) {
      const [row] = await db
        .insert(whatsappMessages)
        .values(message)
        .onConflictDoNothing({ target: whatsappMessages.id })
        .returning();
      return row;
    },

    async findMessage(id) {
      const [row] = await db.select().from(whatsappMessages).where(eq(whatsappMessages.id, id));
      return row;
    },

    async findMessageForSubject(id, subject) {
      const [row] = await db
        .select()
        .from(whatsappMessages)
        .where(and(eq(whatsappMessages.id, id), eq(whatsappMessages.subject, subject)));
      return row;
    },

    async markSending(id, attempt) {
      await db
        .update(whatsappMessages)
        .set({ status: 'sending', attempts: attempt, updatedAt: new Date() })
        .where(eq(whatsappMessages.id, id));
    },

    async startSending(id, phoneNumberId, attempt) {
      const [row] = await db
        .update(whatsappMessages)
        .set({ status: 'sending', attempts: attempt, updatedAt: new Date() })
        .where(
          and(
            eq(whatsappMessages.id, id),
            eq(whatsappMessages.phoneNumberId, phoneNumberId),
            // What the send job skips as already sent.
            not(and(eq(whatsappMessages.status, 'sent'), isNotNull(whatsappMessages.wamid)) as SQL),
          ),
        )
        .returning();
      return row;
    },

    async markSent(id, wamid, at) {
      await db
        .update(whatsappMessages)
        .set({ status: 'sent', wamid, errorCode: null, errorMessage: null, sentAt: at, updatedAt: at })
        .where(eq(whatsappMessages.id, id));
    },

    async markFailed(id, code, message) {
      await db
        .update(whatsappMessages)
        .set({ status: 'failed', errorCode: code, errorMessage: message, updatedAt: new Date() })
        .where(eq(whatsappMessages.id, id));
    },

    async markRetrying(id, code, message) {
      await db
        .update(whatsappMessages)
        .set({ status: 'queued', errorCode: code, errorMessage: message, updatedAt: new Date() })
        .where(eq(whatsappMessages.id, id));
    },

    async recordStatus(status) {
      const rows = await db
        .insert(whatsappStatuses)
        .values(status)
        .onConflictDoNothing()
        .returning({ wamid: whatsappStatuses.wamid });
      return rows.length > 0;
    },

    async statusesOf(wamid) {
      return db
        .select()
        .from(whatsappStatuses)
        .where(eq(whatsappStatuses.wamid, wamid))
        .orderBy(asc(whatsappStatuses.occurredAt), asc(whatsappStatuses.recordedAt));
    },

    async recordInbound(message) {
      const rows = await db
        .insert(whatsappInbound)
        .values(message)
        .onConflictDoNothing()
        .returning({ wamid: whatsappInbound.wamid });
      return rows.length > 0;
    },

    async findInbound(wamid) {
      const [row] = await db.select().from(whatsappInbound).where(eq(whatsappInbound.wamid, wamid));
      return row;
    },

    async setInboundText(wamid, text) {
      await db.update(whatsappInbound).set({ text }).where(eq(whatsappInbound.wamid, wamid));
    },

    async markInboundHandled(wamid, outcome) {
      await db.update(whatsappInbound).set({ handledAt: new Date(), outcome }).where(eq(whatsappInbound.wamid, wamid));
    },

    async lastInboundAt(sender) {
      const [row] = await db
        .select({ at: sql<Date | string | null>`max(${whatsappInbound.sentAt})` })
        .from(whatsappInbound)
        .where(eq(whatsappInbound.sender, sender));
      const at = row?.at;
      if (at === null || at === undefined) return null;
      return at instanceof Date ? at : new Date(at);
    },

    async latestInbound(sender) {
      const [row] = await db
        .select()
        .from(whatsappInbound)
        .where(eq(whatsappInbound.sender, sender))
        .orderBy(desc(whatsappInbound.sentAt))
        .limit(1);
      return row;
    },

    async findContact(waId) {
      const [row] = await db.select().from(whatsappContacts).where(eq(whatsappContacts.waId, waId));
      return row;
    },

    async touchContact(contact) {
      const [row] = await db
        .insert(whatsappContacts)
        .values({ ...contact, updatedAt: new Date() })
        .onConflictDoUpdate({
          target: whatsappContacts.waId,
          set: {
            profileName: sql`COALESCE(excluded.profile_name, ${whatsappContacts.profileName})`,
            lastInboundAt: sql`GREATEST(excluded.last_inbound_at, ${whatsappContacts.lastInboundAt})`,
            updatedAt: sql`excluded.updated_at`,
          },
        })
        .returning();
      if (!row) throw new Error(`The contact ${contact.waId} was neither inserted nor updated`);
      return row;
    },

    async setConversation(waId, conversationId) {
      await db
        .update(whatsappContacts)
        .set({ conversationId, updatedAt: new Date() })
        .where(eq(whatsappContacts.waId, waId));
    },

    async setOptedOut(waId, optedOut) {
      await db.update(whatsappContacts).set({ optedOut, updatedAt: new Date() }).where(eq(whatsappContacts.waId, waId));
    },

    async recentContacts(limit) {
      return db
        .select()
        .from(whatsappContacts)
        .where(isNotNull(whatsappContacts.lastInboundAt))
        .orderBy(desc(whatsappContacts.lastInboundAt))
        .limit(limit);
    },

    async insertDelivery(delivery) {
      await db.insert(whatsappDeliveries).values(delivery);
    },

    async findDelivery(id) {
      const [row] = await db.select().from(whatsappDeliveries).where(eq(whatsappDeliveries.id, id));
      return row;
    },

    async markDeliveryProcessed(id) {
      await db.update(whatsappDeliveries).set({ processedAt: new Date() }).where(eq(whatsappDeliveries.id, id));
    },

    async lastDelivery() {
      const [row] = await db.select().from(whatsappDeliveries).orderBy(desc(whatsappDeliveries.receivedAt)).limit(1);
      return row;
    },

    async recentMessagesTo(recipient, limit) {
      return db
        .select()
        .from(whatsappMessages)
        .where(eq(whatsappMessages.recipient, recipient))
        .orderBy(desc(whatsappMessages.createdAt))
        .limit(limit);
    },
  };
}
