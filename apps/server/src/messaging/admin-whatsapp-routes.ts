import {
  AdminWhatsAppConversations,
  AdminWhatsAppQuery,
  AdminWhatsAppStatus,
  AdminWhatsAppTestMessage,
  ErrorResponse,
  MessageQueued,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { administeredEnvironment } from '../edge/admin-environments';
import type { RouteBehaviour } from '../edge/principal';
import { type MessagingDependencies, queueMessage } from './message-service';

const behaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse };

/** The admin console's WhatsApp tab: webhook status, recent conversations, a test message; per environment. */
export function registerAdminWhatsAppRoutes(app: FastifyInstance, dependencies: MessagingDependencies): void {
  app.get<{ Querystring: Static<typeof AdminWhatsAppQuery> }>(
    '/v1/admin/whatsapp/status',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: "An environment's WhatsApp number, webhook (last delivery) and bot",
        security,
        querystring: AdminWhatsAppQuery,
        response: { 200: AdminWhatsAppStatus, ...errors },
      },
    },
    async (request) => {
      const environment = administeredEnvironment(request.principal, request.query.environment);
      const config = dependencies.whatsapp.config;
      const sender = dependencies.whatsapp.get(environment);
      const last = await createWhatsAppRepository(dependencies.databases[environment].db).lastDelivery();
      const bot = config?.bot;
      return {
        environment,
        configured: sender !== null,
        phone_number_id: sender?.phoneNumberId ?? null,
        dry_run: sender !== null && sender.api === null,
        webhook: {
          verify_token_configured: Boolean(config?.verifyToken),
          signature_secret_configured: Boolean(sender?.appSecret),
          last_delivery_at: last ? last.receivedAt.toISOString() : null,
          last_delivery_processed: last ? last.processedAt !== null : null,
        },
        bot: {
          enabled: Boolean(bot?.enabled && bot.environments.includes(environment)),
          model: bot?.model ?? null,
          focus: bot?.focus ?? null,
          vision_model: bot?.visionModel ?? null,
        },
      };
    },
  );

  app.get<{ Querystring: Static<typeof AdminWhatsAppQuery> }>(
    '/v1/admin/whatsapp/conversations',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'The people who wrote to the environment’s number most recently',
        security,
        querystring: AdminWhatsAppQuery,
        response: { 200: AdminWhatsAppConversations, ...errors },
      },
    },
    async (request) => {
      const environment = administeredEnvironment(request.principal, request.query.environment);
      const repository = createWhatsAppRepository(dependencies.databases[environment].db);
      const contacts = await repository.recentContacts(50);
      return {
        environment,
        conversations: await Promise.all(
          contacts.map(async (contact) => {
            const last = await repository.latestInbound(contact.waId);
            return {
              wa_id: contact.waId,
              name: contact.profileName,
              conversation_id: contact.conversationId,
              opted_out: contact.optedOut,
              last_inbound_at: contact.lastInboundAt?.toISOString() ?? null,
              last_text: last?.text ?? (last ? `(${last.kind})` : null),
            };
          }),
        ),
      };
    },
  );

  app.post<{ Body: Static<typeof AdminWhatsAppTestMessage> }>(
    '/v1/admin/whatsapp/test-message',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: "Queue a test message from an environment's number",
        description:
          'Free-form text needs the recipient to have written within 24 hours; otherwise send a template ' +
          '(hello_world is approved on every new WhatsApp Business Account).',
        security,
        body: AdminWhatsAppTestMessage,
        response: { 202: MessageQueued, ...errors, 422: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const environment = administeredEnvironment(request.principal, request.body.environment);
      const body = request.body;
      if ((body.text === undefined) === (body.template === undefined)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'Send exactly one of text or template');
      }
      const row = await queueMessage(dependencies, {
        environment,
        subject: request.principal?.subject ?? 'admin',
        apiKeyId: request.principal?.keyId ?? null,
        source: 'admin',
        requestId: request.id,
        to: body.to,
        content: body.template
          ? { type: 'template', template: { name: body.template.name, language: { code: body.template.language } } }
          : { type: 'text', text: { body: body.text ?? '' } },
      });
      return reply.code(202).send({
        id: row.id,
        object: 'message',
        status: 'queued',
        environment,
        to: row.recipient,
        status_url: `/v1/messages/${row.id}`,
      });
    },
  );
}
