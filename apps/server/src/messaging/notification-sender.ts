import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository } from '@switchyard/db';
import type { Databases } from '../infrastructure/databases';
import type { WhatsAppSender as NotificationWhatsAppSender } from '../notifications/whatsapp-channel';
import type { OutboundContent } from './whatsapp-cloud-api';
import type { WhatsAppSenders } from './whatsapp-senders';

export interface NotificationSenderDependencies {
  readonly databases: Databases;
  readonly whatsapp: WhatsAppSenders;
}

/** The message id of a notification batch: the same batch is one message however often its job runs. */
export const notificationMessageId = (batchId: string) => `wamsg_n${batchId.replaceAll(/[^A-Za-z0-9]/g, '')}`;

/**
 * Notifications' WhatsApp sender, on the messaging capability: each batch goes out as the environment's
 * notification template (`whatsapp.notifications`, default `switchyard_notification` in `en`) with body
 * parameters {{1}} headline and {{2}} details, from that environment's own number; a template is accepted
 * inside and outside the 24-hour customer-service window. The message is recorded like any other
 * outbound one (source `notification`), so a batch already sent is not sent again. Errors stay WhatsApp's
 * mapped ones: an outage (5xx, 429, unreachable) is retryable, so the `notification.deliver` job tries
 * again; a refusal (template missing or not approved, recipient not on WhatsApp, bad token) is not, and
 * the job goes to the dead-letter queue at once with that code. Null when no environment has a number.
 */
export function createNotificationWhatsAppSender(
  dependencies: NotificationSenderDependencies,
): NotificationWhatsAppSender | null {
  const { whatsapp, databases } = dependencies;
  if (!whatsapp.config || (!whatsapp.get('prod') && !whatsapp.get('dev'))) return null;
  return {
    availableIn: (environment) => whatsapp.get(environment) !== null,
    async send(message, { signal }) {
      const sender = whatsapp.get(message.environment);
      if (!sender) {
        throw new SwitchyardError(
          'SY_ERR_MESSAGING_NOT_CONFIGURED',
          `WhatsApp is not configured for ${message.environment} (whatsapp.${message.environment} in the configuration)`,
          { isRetryable: false },
        );
      }
      const template = whatsapp.config?.senders[message.environment]?.notificationTemplate;
      if (!template) {
        throw new SwitchyardError('SY_ERR_MESSAGING_NOT_CONFIGURED', 'WhatsApp has no notification template', {
          isRetryable: false,
        });
      }
      const content: OutboundContent = {
        type: 'template',
        template: {
          name: template.name,
          language: { code: template.language },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: message.headline },
                { type: 'text', text: message.details },
              ],
            },
          ],
        },
      };
      const repository = createWhatsAppRepository(databases[message.environment].db);
      const id = notificationMessageId(message.batchId);
      let row = await repository.findMessage(id);
      if (row?.status === 'sent' && row.wamid) return;
      if (!row) {
        await repository.insertMessage({
          id,
          environment: message.environment,
          source: 'notification',
          subject: 'notifications',
          apiKeyId: null,
          recipient: message.to,
          phoneNumberId: sender.phoneNumberId,
          kind: 'template',
          content,
          status: 'queued',
          dryRun: sender.api === null,
          jobId: null,
        });
        row = await repository.findMessage(id);
      }
      const attempts = (row?.attempts ?? 0) + 1;
      await repository.markSending(id, attempts);
      if (sender.api === null) {
        await repository.markSent(id, `dryrun.${id}`, new Date());
        return;
      }
      try {
        const sent = await sender.api.send(message.to, content, signal);
        await repository.markSent(id, sent.wamid, new Date());
      } catch (error) {
        const known = isSwitchyardError(error)
          ? error
          : new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', 'WhatsApp could not be reached', { cause: error });
        if (known.isRetryable) await repository.markRetrying(id, known.code, known.message);
        else await repository.markFailed(id, known.code, known.message);
        throw known;
      }
    },
  };
}
