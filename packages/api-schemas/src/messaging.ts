import Type, { type Static } from 'typebox';
import { Environment } from './common';

const E164 = Type.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  description: 'The recipient in E.164 form, e.g. +4915112345678',
});

/** A media object by public https URL (`link`) or by a media id from the Cloud API's media upload. */
const MediaReference = Type.Object(
  {
    link: Type.Optional(Type.String({ minLength: 1, maxLength: 2_048, pattern: '^https?://' })),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    caption: Type.Optional(Type.String({ maxLength: 1_024 })),
    filename: Type.Optional(Type.String({ maxLength: 240 })),
  },
  { additionalProperties: false },
);

const TemplateParameter = Type.Object(
  {
    type: Type.Union([
      Type.Literal('text'),
      Type.Literal('currency'),
      Type.Literal('date_time'),
      Type.Literal('image'),
      Type.Literal('document'),
      Type.Literal('video'),
      Type.Literal('payload'),
    ]),
    text: Type.Optional(Type.String({ maxLength: 32_768 })),
    payload: Type.Optional(Type.String({ maxLength: 1_000 })),
    currency: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    date_time: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    image: Type.Optional(MediaReference),
    document: Type.Optional(MediaReference),
    video: Type.Optional(MediaReference),
    parameter_name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

const TemplateComponent = Type.Object(
  {
    type: Type.Union([Type.Literal('header'), Type.Literal('body'), Type.Literal('button')]),
    sub_type: Type.Optional(Type.String({ maxLength: 40 })),
    index: Type.Optional(Type.Union([Type.String({ maxLength: 4 }), Type.Integer({ minimum: 0, maximum: 9 })])),
    parameters: Type.Optional(Type.Array(TemplateParameter, { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const SendMessageRequest = Type.Object(
  {
    to: E164,
    type: Type.Optional(
      Type.Union(
        [
          Type.Literal('text'),
          Type.Literal('template'),
          Type.Literal('image'),
          Type.Literal('document'),
          Type.Literal('audio'),
        ],
        { description: 'Default: text' },
      ),
    ),
    /** For type text (WhatsApp's limit is 4,096 characters). */
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 4_096 })),
    preview_url: Type.Optional(Type.Boolean()),
    template: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 512 }),
          language: Type.String({ minLength: 2, maxLength: 15, description: 'e.g. en_US' }),
          /** Shorthand: the body's text parameters in order ({{1}}, {{2}}, …). */
          parameters: Type.Optional(Type.Array(Type.String({ maxLength: 32_768 }), { maxItems: 50 })),
          /** The Cloud API's components, as its documentation writes them. */
          components: Type.Optional(Type.Array(TemplateComponent, { maxItems: 10 })),
        },
        { additionalProperties: false },
      ),
    ),
    image: Type.Optional(MediaReference),
    document: Type.Optional(MediaReference),
    audio: Type.Optional(MediaReference),
    from: Type.Optional(
      Type.String({
        pattern: '^[0-9]+$',
        maxLength: 64,
        description: "The sending phone-number id; must be the key's environment's own number",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SendMessageRequest = Static<typeof SendMessageRequest>;

const MessageStatusName = Type.Union([
  Type.Literal('queued'),
  Type.Literal('sending'),
  Type.Literal('sent'),
  Type.Literal('delivered'),
  Type.Literal('read'),
  Type.Literal('failed'),
]);

export const MessageQueued = Type.Object({
  id: Type.String(),
  object: Type.Literal('message'),
  status: Type.Literal('queued'),
  environment: Environment,
  to: Type.String(),
  status_url: Type.String(),
});
export type MessageQueued = Static<typeof MessageQueued>;

/** The 201 of POST /v1/messages/media. */
export const MessageMediaUploaded = Type.Object({
  id: Type.String({ description: "WhatsApp's media id, for image.id, document.id or audio.id" }),
  environment: Environment,
  type: Type.String(),
  bytes: Type.Integer(),
});
export type MessageMediaUploaded = Static<typeof MessageMediaUploaded>;

export const MessageStatus = Type.Object({
  id: Type.String(),
  object: Type.Literal('message'),
  environment: Environment,
  channel: Type.Literal('whatsapp'),
  to: Type.String(),
  type: Type.String(),
  status: MessageStatusName,
  dry_run: Type.Boolean(),
  whatsapp_message_id: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  attempts: Type.Integer(),
  /** What the webhook reported, in order. */
  deliveries: Type.Array(
    Type.Object({
      status: Type.String(),
      at: Type.String(),
      error: Type.Union([
        Type.Object({ code: Type.String(), title: Type.String(), detail: Type.Union([Type.String(), Type.Null()]) }),
        Type.Null(),
      ]),
    }),
  ),
  created_at: Type.String(),
  sent_at: Type.Union([Type.String(), Type.Null()]),
});
export type MessageStatus = Static<typeof MessageStatus>;

/** GET /v1/whatsapp/webhook: Meta's verification handshake. */
export const WhatsAppVerifyQuery = Type.Object({
  'hub.mode': Type.Optional(Type.String({ maxLength: 50 })),
  'hub.verify_token': Type.Optional(Type.String({ maxLength: 500 })),
  'hub.challenge': Type.Optional(Type.String({ maxLength: 500 })),
});
export type WhatsAppVerifyQuery = Static<typeof WhatsAppVerifyQuery>;

export const WhatsAppWebhookAck = Type.Object({ received: Type.Boolean(), deliveries: Type.Integer() });

export const AdminWhatsAppQuery = Type.Object({ environment: Type.Optional(Environment) });

export const AdminWhatsAppStatus = Type.Object({
  environment: Environment,
  configured: Type.Boolean(),
  phone_number_id: Type.Union([Type.String(), Type.Null()]),
  dry_run: Type.Boolean(),
  webhook: Type.Object({
    verify_token_configured: Type.Boolean(),
    signature_secret_configured: Type.Boolean(),
    last_delivery_at: Type.Union([Type.String(), Type.Null()]),
    last_delivery_processed: Type.Union([Type.Boolean(), Type.Null()]),
  }),
  bot: Type.Object({
    enabled: Type.Boolean(),
    model: Type.Union([Type.String(), Type.Null()]),
    focus: Type.Union([Type.String(), Type.Null()]),
    vision_model: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type AdminWhatsAppStatus = Static<typeof AdminWhatsAppStatus>;

export const AdminWhatsAppConversations = Type.Object({
  environment: Environment,
  conversations: Type.Array(
    Type.Object({
      wa_id: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      conversation_id: Type.Union([Type.String(), Type.Null()]),
      opted_out: Type.Boolean(),
      last_inbound_at: Type.Union([Type.String(), Type.Null()]),
      last_text: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export type AdminWhatsAppConversations = Static<typeof AdminWhatsAppConversations>;

export const AdminWhatsAppTestMessage = Type.Object(
  {
    environment: Type.Optional(Environment),
    to: E164,
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 4_096 })),
    template: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 512 }),
          language: Type.String({ minLength: 2, maxLength: 15 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AdminWhatsAppTestMessage = Static<typeof AdminWhatsAppTestMessage>;
