import multipart from '@fastify/multipart';
import {
  ErrorResponse,
  MessageMediaUploaded,
  MessageQueued,
  MessageStatus,
  SendMessageRequest,
  ShortIdParams,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { IdempotencyRepository } from '@switchyard/db';
import { createWhatsAppRepository } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import { runIdempotent } from '../edge/idempotency';
import type { RouteBehaviour } from '../edge/principal';
import { readUploadForm } from '../files/read-upload';
import { contentOfRequest, describeMessage, type MessagingDependencies, queueMessage } from './message-service';

export interface MessageRouteDependencies extends MessagingDependencies {
  readonly idempotency: IdempotencyRepository;
}

const sendBehaviour: RouteBehaviour = { auth: 'required', rateLimit: 'messages' };
const readBehaviour: RouteBehaviour = { auth: 'required', scope: 'messages' };

/** The media types the Cloud API takes (its "Supported media types"), with their size limits in bytes. */
const mediaLimits: Record<string, number> = {
  'image/jpeg': 5 * 1024 * 1024,
  'image/png': 5 * 1024 * 1024,
  'audio/aac': 16 * 1024 * 1024,
  'audio/amr': 16 * 1024 * 1024,
  'audio/mpeg': 16 * 1024 * 1024,
  'audio/mp4': 16 * 1024 * 1024,
  'audio/ogg': 16 * 1024 * 1024,
  'text/plain': 16 * 1024 * 1024,
  'application/pdf': 16 * 1024 * 1024,
  'application/msword': 16 * 1024 * 1024,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 16 * 1024 * 1024,
  'application/vnd.ms-excel': 16 * 1024 * 1024,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 16 * 1024 * 1024,
  'application/vnd.ms-powerpoint': 16 * 1024 * 1024,
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 16 * 1024 * 1024,
};
const largestMedia = 16 * 1024 * 1024;

/** Seed 000's outbound WhatsApp API: queue a message, then follow it to delivered or read. */
export function registerMessageRoutes(app: FastifyInstance, dependencies: MessageRouteDependencies): void {
  app.post<{ Body: SendMessageRequest }>(
    '/v1/messages/send',
    {
      config: { behaviour: sendBehaviour },
      schema: {
        tags: ['Messaging'],
        summary: 'Queue a WhatsApp message (text, template, image, document, audio)',
        description:
          "Sends from the key's environment's own WhatsApp number (prod and dev each have theirs). Answers 202 " +
          'with the message id at once; follow GET /v1/messages/{id}. Needs the `messages` scope; rate limit per ' +
          'key: settings rate_limit.messages.<env>. Send `Idempotency-Key` to make retries safe. Free-form ' +
          'content to someone who has not written in 24 hours: 422 SY_ERR_OUTSIDE_SERVICE_WINDOW (use a template).',
        security: [{ bearer: [] }],
        body: SendMessageRequest,
        response: {
          202: MessageQueued,
          400: ErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          422: ErrorResponse,
          429: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) =>
      runIdempotent(dependencies.idempotency, request, reply, async () => {
        const principal = request.principal;
        if (!principal) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs an API key');
        const row = await queueMessage(dependencies, {
          environment: principal.environment,
          subject: principal.subject,
          apiKeyId: principal.keyId,
          source: 'api',
          to: request.body.to,
          content: contentOfRequest(request.body),
          from: request.body.from,
          requestId: request.id,
        });
        return {
          status: 202,
          headers: { location: `/v1/messages/${row.id}` },
          body: {
            id: row.id,
            object: 'message',
            status: 'queued',
            environment: principal.environment,
            to: row.recipient,
            status_url: `/v1/messages/${row.id}`,
          },
        };
      }),
  );

  app.register(async (scope) => {
    // Only this scope parses multipart bodies.
    await scope.register(multipart, { limits: { files: 1, fields: 4, parts: 5 } });
    scope.post(
      '/v1/messages/media',
      {
        config: { behaviour: sendBehaviour },
        schema: {
          tags: ['Messaging'],
          summary: "Upload a file to WhatsApp from the key's environment's number; send it by its id",
          description:
            "multipart/form-data like the Cloud API's media upload: `file` and `type` (its MIME type: image/jpeg, " +
            'image/png, audio/ogg, audio/mpeg, audio/mp4, audio/aac, audio/amr, application/pdf, text/plain or an ' +
            'Office type). Images up to 5 MB, the rest up to 16 MB. Answers the media id for `image.id`, ' +
            '`document.id` or `audio.id` in POST /v1/messages/send (WhatsApp keeps it 30 days).',
          security: [{ bearer: [] }],
          consumes: ['multipart/form-data'],
          response: {
            201: MessageMediaUploaded,
            400: ErrorResponse,
            401: ErrorResponse,
            413: ErrorResponse,
            429: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const principal = request.principal;
        if (!principal) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs an API key');
        const sender = dependencies.whatsapp.get(principal.environment);
        if (!sender) {
          throw new SwitchyardError(
            'SY_ERR_MESSAGING_NOT_CONFIGURED',
            `WhatsApp is not configured for ${principal.environment}`,
          );
        }
        const { upload, fields } = await readUploadForm(request, largestMedia);
        const type = fields.type?.[0]?.split(';')[0]?.trim().toLowerCase() ?? '';
        const limit = mediaLimits[type];
        if (limit === undefined) {
          throw new SwitchyardError('SY_ERR_VALIDATION', `type must be a media type WhatsApp takes, got '${type}'`, {
            details: { param: 'type' },
          });
        }
        if (upload.bytes.length === 0) throw new SwitchyardError('SY_ERR_VALIDATION', 'The file is empty');
        if (upload.bytes.length > limit) {
          throw new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', `WhatsApp takes ${type} files up to ${limit} bytes`);
        }
        const fileName = upload.fileName.replace(/[^\w.\- ]/g, '_').slice(0, 200) || 'file';
        // The dry-run sink keeps nothing: it answers an id that only it understands.
        const id = sender.api
          ? await sender.api.uploadMedia(
              { bytes: upload.bytes, mimeType: type, fileName },
              clientDisconnectSignal(request, reply),
            )
          : `dryrun-media-${Date.now()}`;
        return reply.code(201).send({ id, environment: principal.environment, type, bytes: upload.bytes.length });
      },
    );
  });

  app.get<{ Params: Static<typeof ShortIdParams> }>(
    '/v1/messages/:id',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Messaging'],
        summary: 'A message: its status and the delivery statuses WhatsApp reported',
        description: "Only the key that sent it, in its environment, sees it; anyone else's id is 404.",
        security: [{ bearer: [] }],
        params: ShortIdParams,
        response: { 200: MessageStatus, 401: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This endpoint needs an API key');
      const repository = createWhatsAppRepository(dependencies.databases[principal.environment].db);
      const row = await repository.findMessageForSubject(request.params.id, principal.subject);
      if (!row) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No message with id '${request.params.id}'`);
      const statuses = row.wamid ? await repository.statusesOf(row.wamid) : [];
      return describeMessage(row, statuses);
    },
  );
}
