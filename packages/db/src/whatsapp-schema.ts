import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, primaryKey, text, timestamp, varchar } from 'drizzle-orm/pg-core';
import { jsonValue } from './json-column';

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Outbound WhatsApp messages (POST /v1/messages/send, the bot's answers, admin test messages), in the
 * database of the environment that sent them. `content` is the Cloud API message body without
 * `messaging_product` and `to`; `wamid` is the id WhatsApp gave it (delivery statuses refer to it).
 */
export const whatsappMessages = pgTable(
  'whatsapp_messages',
  {
    id: text('id').primaryKey(),
    environment: varchar('environment', { length: 4 }).notNull(),
    /** api | bot | admin | notification */
    source: text('source').notNull(),
    /** Who sent it (`key:<id>`, `user:<id>`, `bot`): only they may read it. */
    subject: text('subject').notNull(),
    apiKeyId: text('api_key_id'),
    recipient: text('recipient').notNull(),
    phoneNumberId: text('phone_number_id').notNull(),
    /** text | template | image | document | audio */
    kind: text('kind').notNull(),
    content: jsonValue('content').notNull(),
    /** queued | sending | sent | failed */
    status: text('status').notNull(),
    /** Recorded by the dev dry-run sink instead of sent. */
    dryRun: boolean('dry_run').notNull().default(false),
    wamid: text('wamid'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    jobId: text('job_id'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
    sentAt: timestampColumn('sent_at'),
  },
  (table) => [
    check('whatsapp_messages_environment_check', sql`${table.environment} IN ('prod','dev')`),
    index('whatsapp_messages_wamid_idx').on(table.wamid),
    index('whatsapp_messages_subject_idx').on(table.subject, table.createdAt),
    index('whatsapp_messages_recipient_idx').on(table.recipient, table.createdAt),
  ],
);

/**
 * Delivery statuses the webhook reported (sent, delivered, read, failed), keyed by WhatsApp's message id:
 * a status may arrive before the send job has stored that id, and a redelivered one changes nothing.
 */
export const whatsappStatuses = pgTable(
  'whatsapp_statuses',
  {
    wamid: text('wamid').notNull(),
    status: text('status').notNull(),
    /** When WhatsApp says it happened (the webhook's timestamp). */
    occurredAt: timestampColumn('occurred_at').notNull(),
    recipient: text('recipient'),
    errorCode: text('error_code'),
    errorTitle: text('error_title'),
    errorDetail: text('error_detail'),
    recordedAt: timestampColumn('recorded_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ name: 'whatsapp_statuses_pkey', columns: [table.wamid, table.status] })],
);

/** Inbound messages, one row per WhatsApp message id: a redelivered message finds its row and is not handled again. */
export const whatsappInbound = pgTable(
  'whatsapp_inbound',
  {
    wamid: text('wamid').primaryKey(),
    environment: varchar('environment', { length: 4 }).notNull(),
    sender: text('sender').notNull(),
    phoneNumberId: text('phone_number_id').notNull(),
    /** text | audio | image | … (the Cloud API's message type) */
    kind: text('kind').notNull(),
    /** The text, the transcript of a voice note, or an image's caption. */
    text: text('text'),
    message: jsonValue('message').notNull(),
    sentAt: timestampColumn('sent_at').notNull(),
    recordedAt: timestampColumn('recorded_at').notNull().defaultNow(),
    /** Set once the bot (or nothing, when it is off) has dealt with it. */
    handledAt: timestampColumn('handled_at'),
    outcome: text('outcome'),
  },
  (table) => [
    check('whatsapp_inbound_environment_check', sql`${table.environment} IN ('prod','dev')`),
    index('whatsapp_inbound_sender_idx').on(table.sender, table.sentAt),
  ],
);

/** The people who wrote to the environment's number: their bot conversation, opt-out and last message. */
export const whatsappContacts = pgTable(
  'whatsapp_contacts',
  {
    waId: text('wa_id').primaryKey(),
    environment: varchar('environment', { length: 4 }).notNull(),
    profileName: text('profile_name'),
    conversationId: text('conversation_id'),
    optedOut: boolean('opted_out').notNull().default(false),
    lastInboundAt: timestampColumn('last_inbound_at'),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (table) => [
    check('whatsapp_contacts_environment_check', sql`${table.environment} IN ('prod','dev')`),
    index('whatsapp_contacts_updated_idx').on(table.updatedAt),
  ],
);

/** Webhook deliveries whose signature was valid, as received; a job processes each. */
export const whatsappDeliveries = pgTable(
  'whatsapp_deliveries',
  {
    id: text('id').primaryKey(),
    environment: varchar('environment', { length: 4 }).notNull(),
    payload: jsonValue('payload').notNull(),
    receivedAt: timestampColumn('received_at').notNull().defaultNow(),
    processedAt: timestampColumn('processed_at'),
  },
  (table) => [
    check('whatsapp_deliveries_environment_check', sql`${table.environment} IN ('prod','dev')`),
    index('whatsapp_deliveries_received_idx').on(table.receivedAt),
  ],
);

export type WhatsAppMessageRow = typeof whatsappMessages.$inferSelect;
export type WhatsAppMessageInsert = typeof whatsappMessages.$inferInsert;
export type WhatsAppStatusRow = typeof whatsappStatuses.$inferSelect;
export type WhatsAppStatusInsert = typeof whatsappStatuses.$inferInsert;
export type WhatsAppInboundRow = typeof whatsappInbound.$inferSelect;
export type WhatsAppInboundInsert = typeof whatsappInbound.$inferInsert;
export type WhatsAppContactRow = typeof whatsappContacts.$inferSelect;
export type WhatsAppDeliveryRow = typeof whatsappDeliveries.$inferSelect;
