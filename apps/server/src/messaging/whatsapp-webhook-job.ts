import type { RateLimiter, SwitchyardConfig } from '@switchyard/core';
import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository, type WhatsAppRepository } from '@switchyard/db';
import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { ModelRegistry, Router } from '@switchyard/routing';
import type { Logger } from 'pino';
import type { AppRegistry } from '../apps/app-registry';
import type { AudioModels } from '../audio/audio-models';
import type { AudioQuota } from '../audio/audio-quota';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { Plans } from '../plans/plans';
import type { SettingsStore } from '../settings/settings-store';
import type { UsageWriter } from '../usage/usage-writer';
import { answerInbound, apologise, type InboundMessage } from './whatsapp-bot';
import type { WhatsAppSenders } from './whatsapp-senders';

export interface WhatsAppWebhookJobDependencies {
  readonly config: Pick<SwitchyardConfig, 'defaultModel' | 'whatsapp'>;
  readonly databases: Databases;
  readonly jobs: PlatformJobQueue;
  readonly whatsapp: WhatsAppSenders;
  readonly models: Pick<ModelRegistry, 'resolve'>;
  readonly router: Pick<Router, 'complete'>;
  readonly settings: Pick<SettingsStore, 'current'>;
  readonly limiter: RateLimiter;
  readonly audioModels: AudioModels;
  /** Voice notes count against the sender's daily audio minutes, as `/v1/audio/transcriptions` does. */
  readonly audioQuota: Pick<AudioQuota, 'reserve' | 'settle' | 'release'>;
  /** Each voice note's transcription leaves a usage row (seconds and cost). */
  readonly usage: Pick<UsageWriter, 'record'>;
  /** The senders' plan (model list, budget, audio minutes) and the prices; absent: the settings decide, rows cost 0. */
  readonly plans?: Pick<Plans, 'store' | 'budgets' | 'prices' | 'models'> | null;
  readonly apps: AppRegistry;
  readonly logger: Logger;
}

type WebhookPayload = JobPayload<PlatformJobs, 'whatsapp.webhook'>;

interface StatusItem {
  id?: unknown;
  status?: unknown;
  timestamp?: unknown;
  recipient_id?: unknown;
  errors?: Array<{ code?: unknown; title?: unknown; message?: unknown; error_data?: { details?: unknown } }>;
}

interface MessageItem extends Record<string, unknown> {
  id?: unknown;
  from?: unknown;
  timestamp?: unknown;
  type?: unknown;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** Webhook timestamps are Unix seconds as strings; a missing or odd one is "now". */
function timeOf(value: unknown): Date {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date();
}

/** `+` and digits, whatever form the platform used. */
export const e164 = (waId: string) => `+${waId.replace(/\D/g, '')}`;

async function recordStatuses(repository: WhatsAppRepository, statuses: readonly StatusItem[]): Promise<void> {
  for (const status of statuses) {
    const wamid = text(status?.id);
    const name = text(status?.status);
    if (!wamid || !name) continue;
    const error = Array.isArray(status.errors) ? status.errors[0] : undefined;
    await repository.recordStatus({
      wamid,
      status: name,
      occurredAt: timeOf(status.timestamp),
      recipient: text(status.recipient_id),
      errorCode: error?.code === undefined ? null : String(error.code),
      errorTitle: text(error?.title) ?? text(error?.message),
      errorDetail: text(error?.error_data?.details),
    });
  }
}

/** The text an inbound message carries by itself (voice notes and images get theirs from the bot). */
function textOfMessage(message: MessageItem): string | null {
  const type = text(message.type);
  if (type === 'text') return text((message.text as { body?: unknown } | undefined)?.body);
  if (type === 'button') return text((message.button as { text?: unknown } | undefined)?.text);
  if (type === 'interactive') {
    const interactive = message.interactive as
      | { button_reply?: { title?: unknown }; list_reply?: { title?: unknown } }
      | undefined;
    return text(interactive?.button_reply?.title) ?? text(interactive?.list_reply?.title);
  }
  if (type === 'image') return text((message.image as { caption?: unknown } | undefined)?.caption);
  return null;
}

/**
 * `whatsapp.webhook`: one stored delivery. Statuses are recorded (a redelivered one changes nothing);
 * each inbound message is recorded once by its id and handed to the bot. A message already recorded by
 * an earlier delivery is not answered again; one whose earlier attempt of this same job stopped before
 * it was handled is.
 */
export async function registerWhatsAppWebhookJob(
  jobs: PlatformJobQueue,
  dependencies: WhatsAppWebhookJobDependencies,
): Promise<void> {
  await jobs.process('whatsapp.webhook', async (context: JobContext<WebhookPayload>) => {
    const { environment, deliveryId } = context.payload;
    const repository = createWhatsAppRepository(dependencies.databases[environment].db);
    const delivery = await repository.findDelivery(deliveryId);
    if (!delivery) {
      throw new SwitchyardError('SY_ERR_NOT_FOUND', `Delivery '${deliveryId}' is not stored`, { isRetryable: false });
    }
    const payload = delivery.payload as {
      entry?: Array<{ changes?: Array<{ value?: Record<string, unknown> }> }>;
    };
    let answered = 0;
    for (const entry of payload.entry ?? []) {
      for (const change of entry.changes ?? []) {
        const value = change.value ?? {};
        const phoneNumberId = text((value.metadata as { phone_number_id?: unknown } | undefined)?.phone_number_id);
        if (Array.isArray(value.statuses)) await recordStatuses(repository, value.statuses as StatusItem[]);
        const contacts = Array.isArray(value.contacts)
          ? (value.contacts as Array<{ wa_id?: unknown; profile?: { name?: unknown } }>)
          : [];
        for (const message of Array.isArray(value.messages) ? (value.messages as MessageItem[]) : []) {
          const wamid = text(message.id);
          const from = text(message.from);
          if (!wamid || !from || !phoneNumberId) continue;
          const sender = e164(from);
          const sentAt = timeOf(message.timestamp);
          const kind = text(message.type) ?? 'unknown';
          const isNew = await repository.recordInbound({
            wamid,
            environment,
            sender,
            phoneNumberId,
            kind,
            text: textOfMessage(message),
            message,
            sentAt,
          });
          const profileName = text(contacts.find((contact) => contact.wa_id === from)?.profile?.name);
          const contact = await repository.touchContact({
            waId: sender,
            environment,
            profileName,
            lastInboundAt: sentAt,
          });
          if (!isNew) {
            const stored = await repository.findInbound(wamid);
            // A redelivery (another delivery) never answers twice; only this job's own unfinished attempt resumes.
            if (stored?.handledAt || context.attempt === 1) continue;
          }
          const inbound: InboundMessage = {
            environment,
            wamid,
            sender,
            kind,
            message,
            sentAt,
            profileName,
            lastInboundAt: contact.lastInboundAt,
          };
          let outcome: string;
          try {
            outcome = await answerInbound(dependencies, inbound, contact, context.signal);
          } catch (error) {
            const retryable = !isSwitchyardError(error) || error.isRetryable;
            // Another attempt may get through (an upstream that was down); after the last one, apologise.
            if (retryable && context.attempt < context.maxAttempts) throw error;
            outcome = `failed: ${isSwitchyardError(error) ? error.code : 'error'}`;
            dependencies.logger.warn(
              { environment, code: isSwitchyardError(error) ? error.code : null },
              'whatsapp bot: no answer for an inbound message',
            );
            await apologise(dependencies, inbound);
          }
          await repository.markInboundHandled(wamid, outcome);
          answered += 1;
        }
      }
    }
    await repository.markDeliveryProcessed(deliveryId);
    return { deliveryId, answered };
  });
}
