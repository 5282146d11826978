import Type, { type Static } from 'typebox';
import { pagedList } from './common';

export const GenerateImageRequest = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 4_000 }),
    negative_prompt: Type.Optional(Type.String({ maxLength: 4_000 })),
    model: Type.Optional(Type.String({ minLength: 1, description: 'An image model; the default one if omitted' })),
    width: Type.Optional(Type.Integer({ minimum: 256, maximum: 2048, default: 1024 })),
    height: Type.Optional(Type.Integer({ minimum: 256, maximum: 2048, default: 1024 })),
    steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 150, default: 30 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  },
  { additionalProperties: false },
);
export type GenerateImageRequest = Static<typeof GenerateImageRequest>;

export const OpenAIImageRequest = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 4_000 }),
    model: Type.Optional(Type.String({ minLength: 1 })),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 1 })),
    size: Type.Optional(Type.String({ pattern: '^[0-9]{3,4}x[0-9]{3,4}$', default: '1024x1024' })),
    response_format: Type.Optional(Type.Union([Type.Literal('b64_json'), Type.Literal('url')])),
    quality: Type.Optional(Type.String()),
    style: Type.Optional(Type.String()),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type OpenAIImageRequest = Static<typeof OpenAIImageRequest>;

export const ImageStatus = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('ready'), Type.Literal('failed')]),
  environment: Type.String(),
  model: Type.String(),
  prompt: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  seed: Type.Union([Type.Integer(), Type.Null()]),
  url: Type.Union([Type.String(), Type.Null()], { description: 'GET it (with the same key) for the image bytes' }),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
});
export type ImageStatus = Static<typeof ImageStatus>;

/** The 202 of POST /v1/image/generate (documentation and the web's type). */
export const ImageQueued = Type.Object({
  id: Type.String(),
  status: Type.Literal('queued'),
  model: Type.String(),
  environment: Type.String(),
  status_url: Type.String(),
  quota: Type.Object({ used: Type.Integer(), limit: Type.Integer(), resets_at: Type.String() }),
});
export type ImageQueued = Static<typeof ImageQueued>;

export const ImageQuota = Type.Object({
  environment: Type.String(),
  used: Type.Integer(),
  limit: Type.Integer(),
  remaining: Type.Integer(),
  resets_at: Type.String(),
});
export type ImageQuota = Static<typeof ImageQuota>;

export const ImageModelList = Type.Object({
  default: Type.String(),
  models: Type.Array(
    Type.Object({ id: Type.String(), label: Type.Union([Type.String(), Type.Null()]), type: Type.String() }),
  ),
});
export type ImageModelList = Static<typeof ImageModelList>;

/** POST /api/chats/:id/images: an image made in a chat and posted into it. */
export const ChatImageRequest = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 4_000 }),
    model: Type.Optional(Type.String({ minLength: 1, description: 'An image model; the default one if omitted' })),
    width: Type.Optional(Type.Integer({ minimum: 256, maximum: 2048, default: 1024 })),
    height: Type.Optional(Type.Integer({ minimum: 256, maximum: 2048, default: 1024 })),
  },
  { additionalProperties: false },
);
export type ChatImageRequest = Static<typeof ChatImageRequest>;

/** One of the user's generated images in the gallery. */
export const GalleryImage = Type.Object({
  id: Type.String(),
  prompt: Type.String(),
  model: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  url: Type.String({ description: 'The image bytes, same origin (GET /v1/image/{id}/content)' }),
  chatId: Type.Union([Type.String(), Type.Null()], { description: 'The chat it was made in, if any' }),
  createdAt: Type.String(),
});
export type GalleryImage = Static<typeof GalleryImage>;

export const GalleryList = pagedList('images', GalleryImage);
export type GalleryList = Static<typeof GalleryList>;

/** The 201 of POST /api/chats/:id/images: the image and the two messages posted (the prompt, the image). */
export const ChatImageResult = Type.Object({
  image: GalleryImage,
  messageIds: Type.Array(Type.String()),
});
export type ChatImageResult = Static<typeof ChatImageResult>;
