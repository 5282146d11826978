import {
  ErrorResponse,
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
import { runIdempotent } from '../edge/idempotency';
import type { RouteBehaviour } from '../edge/principal';
import { contentOfRequest, describeMessage, type MessagingDependencies, queueMessage } from './message-service';

export interface MessageRouteDependencies extends MessagingDependencies {
  readonly idempotency: IdempotencyRepository;
}

const sendBehaviour: RouteBehaviour = { auth: 'required', rateLimit: 'messages' };
const readBehaviour: RouteBehaviour = { auth: 'required', scope: 'messages' };

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
