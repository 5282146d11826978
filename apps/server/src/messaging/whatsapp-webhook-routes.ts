import { ErrorResponse, WhatsAppVerifyQuery, WhatsAppWebhookAck } from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { RouteBehaviour } from '../edge/principal';
import { acceptDelivery, type WebhookDependencies } from './webhook-deliveries';
import { tokensEqual } from './webhook-signature';

/** Meta signs and authenticates; no API key. Its deliveries are small (a few KiB); 1 MiB is plenty. */
const webhookBehaviour: RouteBehaviour = { auth: 'none', usage: false };
const webhookBodyLimit = 1024 * 1024;

/** The raw bytes, kept out of enumerable properties so nothing walks or logs them before the signature check. */
interface RawBody {
  readonly bytes: Buffer;
}

function rawBody(bytes: Buffer): RawBody {
  return Object.defineProperty({}, 'bytes', { value: bytes, enumerable: false }) as RawBody;
}

/**
 * Meta's webhook for the WhatsApp Business Account: the GET verification handshake and the POST
 * deliveries (messages, delivery statuses), signed with the app secret over the raw body.
 */
export async function registerWhatsAppWebhookRoutes(
  app: FastifyInstance,
  dependencies: WebhookDependencies,
): Promise<void> {
  app.get<{ Querystring: WhatsAppVerifyQuery }>(
    '/v1/whatsapp/webhook',
    {
      config: { behaviour: webhookBehaviour },
      schema: {
        tags: ['Messaging'],
        summary: "Meta's webhook verification handshake",
        description:
          'Answers hub.challenge as text when hub.mode is subscribe and hub.verify_token is the configured ' +
          'whatsapp.verifyToken; 403 otherwise.',
        querystring: WhatsAppVerifyQuery,
        response: { 403: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const expected = dependencies.whatsapp.config?.verifyToken;
      if (!expected) {
        throw new SwitchyardError('SY_ERR_MESSAGING_NOT_CONFIGURED', 'whatsapp.verifyToken is not configured');
      }
      const query = request.query;
      const token = query['hub.verify_token'];
      if (query['hub.mode'] !== 'subscribe' || token === undefined || !tokensEqual(token, expected)) {
        throw new SwitchyardError('SY_ERR_FORBIDDEN', 'hub.mode must be subscribe and hub.verify_token must match');
      }
      return reply.type('text/plain; charset=utf-8').send(query['hub.challenge'] ?? '');
    },
  );

  await app.register(async (scope) => {
    // Only here: the body stays bytes, because the signature is over exactly those bytes.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: webhookBodyLimit },
      (_request, body, done) => done(null, rawBody(body as Buffer)),
    );
    scope.post(
      '/v1/whatsapp/webhook',
      {
        config: { behaviour: webhookBehaviour },
        schema: {
          tags: ['Messaging'],
          summary: 'WhatsApp webhook deliveries (messages, delivery statuses)',
          description:
            'X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the Meta app secret) is checked before ' +
            'anything else: 401 and nothing stored when it does not match. A valid delivery is stored and ' +
            'answered 200 at once; a job processes it. Redelivered messages are recognised by their id.',
          response: { 200: WhatsAppWebhookAck, 400: ErrorResponse, 401: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => {
        const body = request.body as RawBody | undefined;
        const header = request.headers['x-hub-signature-256'];
        const accepted = await acceptDelivery(
          dependencies,
          body?.bytes ?? Buffer.alloc(0),
          Array.isArray(header) ? header[0] : header,
          request.log,
          request.id,
        );
        return { received: true, deliveries: accepted.length };
      },
    );
  });
}
