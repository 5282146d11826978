import { ErrorResponse, SendTestNotificationRequest, SentTestNotification } from '@switchyard/api-schemas';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { administeredEnvironment } from '../edge/admin-environments';
import type { RouteBehaviour } from '../edge/principal';
import { publicNotification } from './notification-routes';
import type { NotificationService } from './notification-service';

const behaviour: RouteBehaviour = { auth: 'admin', usage: false };

/** Lets an admin check the channels end to end: a `system.test` notification to a user, by their preferences. */
export function registerAdminNotificationRoutes(app: FastifyInstance, notifications: NotificationService): void {
  app.post<{ Body: Static<typeof SendTestNotificationRequest> }>(
    '/v1/admin/notifications/test',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: "Send a test notification to a user (in the admin's environment unless named)",
        security: [{ bearer: [] }],
        body: SendTestNotificationRequest,
        response: {
          201: SentTestNotification,
          400: ErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const environment = administeredEnvironment(request.principal, request.body.environment);
      const result = await notifications.notify({
        environment,
        userId: request.body.userId,
        kind: 'system.test',
        title: request.body.title ?? 'Test notification',
        body: request.body.body ?? 'This is a test notification from Switchyard. Notifications reach you here.',
        link: '/',
      });
      return reply.code(201).send({
        notification: publicNotification(result.notification),
        environment,
        deliveries: result.deliveries.map((delivery) => ({ channel: delivery.channel, status: delivery.status })),
      });
    },
  );
}
