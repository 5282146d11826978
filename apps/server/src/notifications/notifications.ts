import type { SwitchyardConfig } from '@switchyard/core';
import { createUsersRepository } from '@switchyard/db';
import type { Logger } from 'pino';
import { authOrigins } from '../accounts/auth-origin';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { createEmailChannel } from './email-channel';
import { createNotificationService, type NotificationService } from './notification-service';
import { createUnsubscribeTokens } from './unsubscribe-token';
import { createWhatsAppChannel, type WhatsAppSender } from './whatsapp-channel';

export interface NotificationsDependencies {
  config: Pick<SwitchyardConfig, 'smtp' | 'publicUrl' | 'host' | 'port' | 'accounts'>;
  databases: Databases;
  jobs: PlatformJobQueue;
  logger: Logger;
  /** The session secret: unsubscribe links are signed with a key derived from it. */
  authSecret: string;
  /** The messaging capability's sender; null leaves the WhatsApp channel off. */
  whatsapp: WhatsAppSender | null;
}

export interface Notifications extends NotificationService {
  /** Without PUBLIC_URL, links in mail point at the loopback port the API listens on. */
  listeningOn(port: number): void;
}

/** The notifications capability as the composition root builds it: email over the configured SMTP. */
export function createNotifications(dependencies: NotificationsDependencies): Notifications {
  const { config, databases } = dependencies;
  let port = config.port;
  const users = createUsersRepository(databases.prod.db);
  const service = createNotificationService({
    databases,
    recipients: {
      async find(userId) {
        const user = await users.findById(userId);
        return user ? { email: user.email, name: user.name } : undefined;
      },
    },
    jobs: dependencies.jobs,
    channels: { email: createEmailChannel(config.smtp), whatsapp: createWhatsAppChannel(dependencies.whatsapp) },
    tokens: createUnsubscribeTokens(dependencies.authSecret),
    origin: () => authOrigins(config, port).origin,
    logger: dependencies.logger,
  });
  return Object.assign(service, {
    listeningOn(listeningPort: number) {
      port = listeningPort;
    },
  });
}
