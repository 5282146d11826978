import {
  ChatImageRequest,
  ChatImageResult,
  ErrorResponse,
  GalleryList,
  IdParams,
  PageQuery,
  ShortIdParams,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import { createImageRepository, type ImageRow } from '@switchyard/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { addMessages, requireConversation } from '../conversations/conversation-store';
import { ownerOf } from '../edge/owner';
import { pageOf } from '../edge/paging';
import type { RouteBehaviour } from '../edge/principal';
import type { ImageDependencies } from './image-dependencies';
import { markdownImageAlt, startImageGeneration, waitForImage } from './image-generation';

const tags = ['Images'];
/** A signed-in user only; the image rate limit and the `images` scope, like POST /v1/image/generate. */
const generateBehaviour: RouteBehaviour = { auth: 'session', rateLimit: 'image' };
const galleryBehaviour: RouteBehaviour = { auth: 'session', usage: false };

/** The signed-in user's image owner: the subject their images are stored under, in their environment. */
function imageOwner(dependencies: ImageDependencies, request: FastifyRequest) {
  const owner = ownerOf(dependencies.databases, request);
  return { owner, subject: `user:${owner.userId}`, images: createImageRepository(owner.db) };
}

function galleryImage(row: ImageRow) {
  return {
    id: row.id,
    prompt: row.prompt,
    model: row.model,
    width: row.width,
    height: row.height,
    url: `/v1/image/${row.id}/content`,
    chatId: row.conversationId,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Images in the chat (made from the chat's Images panel and posted into it as messages) and the
 * user's gallery of the images they made. The images themselves are the image platform's: stored in
 * object storage, served by GET /v1/image/{id}/content to their owner only.
 */
export function registerGalleryRoutes(app: FastifyInstance, dependencies: ImageDependencies): void {
  app.post<{ Params: Static<typeof IdParams>; Body: ChatImageRequest }>(
    '/api/chats/:id/images',
    {
      config: { behaviour: generateBehaviour },
      schema: {
        tags,
        summary: 'Generate an image in a chat and post it there',
        description:
          'Counts against your daily image quota; waits for the image (up to 5 minutes), then adds the prompt and ' +
          'an answer showing the image at the end of the branch the chat shows.',
        params: IdParams,
        body: ChatImageRequest,
        response: { 201: ChatImageResult, 400: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { owner, subject, images } = imageOwner(dependencies, request);
      const chat = await requireConversation(owner, request.params.id, 'edit');
      const principal = request.principal;
      const body = request.body;
      const started = await startImageGeneration(
        dependencies,
        {
          environment: principal?.environment ?? 'prod',
          subject,
          keyId: null,
          logger: request.log,
          requestId: request.id,
          dailyLimit: request.plan?.plan.imagesPerDay ?? null,
        },
        {
          prompt: body.prompt,
          width: body.width ?? 1024,
          height: body.height ?? 1024,
          steps: 30,
          conversationId: chat.id,
          ...(body.model ? { model: body.model } : {}),
        },
      );
      request.usageInfo = { model: started.model, promptTokens: null, completionTokens: null, images: 1 };
      // Not cut short when the client leaves: the image is still posted, and there when the chat is opened again.
      await waitForImage(dependencies, started.id, AbortSignal.timeout(300_000));
      const row = await images.findForSubject(started.id, subject);
      if (row?.status !== 'ready') {
        throw new SwitchyardError('SY_ERR_UPSTREAM', `The image could not be made: ${row?.error ?? 'it failed'}`);
      }
      const image = galleryImage(row);
      const posted = await addMessages(owner, chat.id, [
        { role: 'user', content: body.prompt },
        { role: 'assistant', content: `![${markdownImageAlt(row.prompt)}](${image.url})`, model: row.model },
      ]);
      return reply.code(201).send({ image, messageIds: posted.map((message) => message.id) });
    },
  );

  app.get<{ Querystring: { limit?: string; offset?: string } }>(
    '/api/images',
    {
      config: { behaviour: galleryBehaviour },
      schema: {
        tags,
        summary: 'Your generated images (the gallery), newest first',
        querystring: PageQuery,
        response: { 200: GalleryList },
      },
    },
    async (request) => {
      const { subject, images } = imageOwner(dependencies, request);
      const page = pageOf(request.query);
      return { images: (await images.listReadyForSubject(subject, page)).map(galleryImage), ...page };
    },
  );

  app.delete<{ Params: Static<typeof ShortIdParams> }>(
    '/api/images/:id',
    {
      config: { behaviour: galleryBehaviour },
      schema: {
        tags,
        summary: 'Delete one of your images (its bytes too; the chat keeps the message, without the picture)',
        params: ShortIdParams,
        response: { 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { subject, images } = imageOwner(dependencies, request);
      const row = await images.deleteForSubject(request.params.id, subject);
      // Another user's image is indistinguishable from one that does not exist.
      if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No image with id '${request.params.id}'`);
      if (row.objectKey) await dependencies.storage.delete(row.objectKey);
      return reply.code(204).send();
    },
  );
}
