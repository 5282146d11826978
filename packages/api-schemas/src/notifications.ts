import Type, { type Static } from 'typebox';
import { Environment, pageFields, pageQueryFields } from './common';

/** Dotted lower-case names such as `saved-search.results`; the server's kind catalog says which exist. */
export const NotificationKindName = Type.String({ pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*$', maxLength: 100 });
export const NotificationChannelName = Type.Union([
  Type.Literal('in_app'),
  Type.Literal('email'),
  Type.Literal('whatsapp'),
]);
export type NotificationChannelName = Static<typeof NotificationChannelName>;
/** `daily` collects the notifications into the daily digest (email and WhatsApp only). */
export const NotificationDeliveryMode = Type.Union([
  Type.Literal('off'),
  Type.Literal('immediate'),
  Type.Literal('daily'),
]);
export type NotificationDeliveryMode = Static<typeof NotificationDeliveryMode>;

export const Notification = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  title: Type.String(),
  body: Type.String(),
  /** A path in the web app (or an absolute URL) the notification points at. */
  link: Type.Union([Type.String(), Type.Null()]),
  data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  read: Type.Boolean(),
  readAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  /** The stream's event id: resume after it with Last-Event-ID. */
  sequence: Type.Integer(),
});
export type Notification = Static<typeof Notification>;

export const NotificationListQuery = Type.Object({
  ...pageQueryFields(),
  unread: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});

export const NotificationList = Type.Object({
  notifications: Type.Array(Notification),
  unread: Type.Integer({ description: 'Unread notifications in all' }),
  ...pageFields,
});
export type NotificationList = Static<typeof NotificationList>;

export const UnreadCount = Type.Object({ unread: Type.Integer() });
export type UnreadCount = Static<typeof UnreadCount>;

export const MarkAllReadResponse = Type.Object({ marked: Type.Integer(), unread: Type.Integer() });

export const NotificationPreference = Type.Object({
  kind: NotificationKindName,
  channel: NotificationChannelName,
  delivery: NotificationDeliveryMode,
});
export type NotificationPreference = Static<typeof NotificationPreference>;

const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +15551234567' });

export const NotificationPreferences = Type.Object({
  kinds: Type.Array(
    Type.Object({
      kind: Type.String(),
      description: Type.String(),
      channels: Type.Object({
        in_app: NotificationDeliveryMode,
        email: NotificationDeliveryMode,
        whatsapp: NotificationDeliveryMode,
      }),
    }),
  ),
  /** Channels this server can send on (email needs SMTP, WhatsApp the messaging capability). */
  available: Type.Array(NotificationChannelName),
  whatsappNumber: Type.Union([E164, Type.Null()]),
});
export type NotificationPreferences = Static<typeof NotificationPreferences>;

export const UpdateNotificationPreferences = Type.Object(
  {
    preferences: Type.Optional(Type.Array(NotificationPreference, { maxItems: 300 })),
    whatsappNumber: Type.Optional(Type.Union([E164, Type.Null()])),
  },
  { additionalProperties: false },
);
export type UpdateNotificationPreferences = Static<typeof UpdateNotificationPreferences>;

export const UnsubscribeQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 1_000 }) });
export type UnsubscribeQuery = Static<typeof UnsubscribeQuery>;

export const UnsubscribeResponse = Type.Object({
  kind: Type.String(),
  channel: NotificationChannelName,
  delivery: NotificationDeliveryMode,
});

export const SendTestNotificationRequest = Type.Object(
  {
    userId: Type.String({ minLength: 1, maxLength: 200 }),
    /** The environment whose database keeps it; default the admin's own. */
    environment: Type.Optional(Environment),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    body: Type.Optional(Type.String({ minLength: 1, maxLength: 2_000 })),
  },
  { additionalProperties: false },
);
export type SendTestNotificationRequest = Static<typeof SendTestNotificationRequest>;

export const SentTestNotification = Type.Object({
  notification: Notification,
  environment: Environment,
  /** Outbound deliveries created for it (queued, digest or skipped), by channel. */
  deliveries: Type.Array(Type.Object({ channel: Type.String(), status: Type.String() })),
});
