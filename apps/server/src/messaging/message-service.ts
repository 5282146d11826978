import { randomUUID } from 'node:crypto';
import type { SendMessageRequest } from '@switchyard/api-schemas';
import { type Environment, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository, type WhatsAppMessageRow, type WhatsAppStatusRow } from '@switchyard/db';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { graphError, type OutboundContent, outsideWindowMessage } from './whatsapp-cloud-api';
import type { WhatsAppSenders } from './whatsapp-senders';

export const newOutboundMessageId = () => `wamsg_${randomUUID().replaceAll('-', '')}`;

/** WhatsApp's customer-service window: free-form messages only within 24 hours of the user's last message. */
export const serviceWindowMs = 24 * 60 * 60 * 1000;

/** What queueing a message needs. */
export interface MessagingDependencies {
  readonly databases: Databases;
  readonly jobs: PlatformJobQueue;
  readonly whatsapp: WhatsAppSenders;
}

export interface OutboundMessage {
  readonly environment: Environment;
  /** Who sends it (`key:<id>`, `user:<id>`, `bot`): only they may read it back. */
  readonly subject: string;
  readonly apiKeyId: string | null;
  readonly source: 'api' | 'bot' | 'admin';
  readonly to: string;
  readonly content: OutboundContent;
  /** The phone-number id the caller expects to send from, if it named one. */
  readonly from?: string | undefined;
  /** A deterministic id (the bot's answers): queueing it again returns the message queued the first time. */
  readonly id?: string;
  /**
   * When the recipient last wrote, as the caller read it (the bot: the sender's contact row, just
   * updated). Only ever an earlier or equal time than the stored one, so a window it shows open is
   * open; a closed one is checked against the stored messages.
   */
  readonly lastInboundAt?: Date | null;
  /** Clock for the service-window check (tests). */
  readonly now?: Date;
  /** The request queueing it (its X-Request-Id): stored with the send job, whose log lines carry it. */
  readonly requestId?: string;
}

function media(reference: NonNullable<SendMessageRequest['image']> | undefined, type: string) {
  if (!reference) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `type ${type} needs a '${type}' object with a link or an id`, {
      details: { param: type },
    });
  }
  if ((reference.link === undefined) === (reference.id === undefined)) {
    throw new SwitchyardError(
      'SY_ERR_VALIDATION',
      `${type} needs exactly one of link (a URL) or id (an uploaded media id)`,
      {
        details: { param: type },
      },
    );
  }
  if (type === 'audio' && (reference.caption !== undefined || reference.filename !== undefined)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'audio takes no caption or filename', { details: { param: type } });
  }
  if (type === 'image' && reference.filename !== undefined) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'image takes no filename', { details: { param: type } });
  }
  return { ...reference };
}

/** The request body of POST /v1/messages/send as the Cloud API's message object. */
export function contentOfRequest(body: SendMessageRequest): OutboundContent {
  const type = body.type ?? 'text';
  const stray = (['text', 'template', 'image', 'document', 'audio'] as const).find(
    (field) => field !== type && body[field] !== undefined,
  );
  if (stray) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `A ${type} message takes no '${stray}'`, {
      details: { param: stray },
    });
  }
  switch (type) {
    case 'text':
      if (!body.text) {
        throw new SwitchyardError('SY_ERR_VALIDATION', "A text message needs 'text'", { details: { param: 'text' } });
      }
      return { type: 'text', text: { body: body.text, ...(body.preview_url ? { preview_url: true } : {}) } };
    case 'template': {
      const template = body.template;
      if (!template) {
        throw new SwitchyardError('SY_ERR_VALIDATION', "A template message needs 'template' with name and language", {
          details: { param: 'template' },
        });
      }
      if (template.parameters && template.components) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'template takes parameters or components, not both', {
          details: { param: 'template' },
        });
      }
      const components = template.components
        ? template.components
        : template.parameters && template.parameters.length > 0
          ? [{ type: 'body', parameters: template.parameters.map((text) => ({ type: 'text', text })) }]
          : undefined;
      return {
        type: 'template',
        template: { name: template.name, language: { code: template.language }, ...(components ? { components } : {}) },
      };
    }
    case 'image':
      return { type: 'image', image: media(body.image, 'image') };
    case 'document':
      return { type: 'document', document: media(body.document, 'document') };
    case 'audio':
      return { type: 'audio', audio: media(body.audio, 'audio') };
  }
}

/** The text of a message's content, for job lists and the admin console. */
export function textOf(content: OutboundContent): string | undefined {
  if (content.type === 'text') return content.text.body;
  return undefined;
}

/**
 * Checks that the environment may send this message now and queues it as a `message.send` job. A dev
 * key always sends from dev's number (naming prod's is 403); free-form content to someone who has not
 * written within 24 hours is refused with a hint to use a template, when this server receives the
 * number's webhook and so knows.
 */
export async function queueMessage(
  dependencies: MessagingDependencies,
  message: OutboundMessage,
): Promise<WhatsAppMessageRow> {
  const { environment } = message;
  const sender = dependencies.whatsapp.get(environment);
  if (!sender) {
    throw new SwitchyardError(
      'SY_ERR_MESSAGING_NOT_CONFIGURED',
      `WhatsApp is not configured for ${environment} (whatsapp.${environment} in the configuration)`,
    );
  }
  if (message.from !== undefined && message.from !== sender.phoneNumberId) {
    const owner = dependencies.whatsapp.environmentOfNumber(message.from);
    if (owner && owner !== environment) {
      throw new SwitchyardError(
        'SY_ERR_ENVIRONMENT_FORBIDDEN',
        `A ${environment} key cannot send from the ${owner} phone number; it sends from ${environment}'s own`,
      );
    }
    throw new SwitchyardError('SY_ERR_VALIDATION', `'from' is not ${environment}'s phone-number id`, {
      details: { param: 'from' },
    });
  }
  const repository = createWhatsAppRepository(dependencies.databases[environment].db);
  if (message.content.type !== 'template' && sender.appSecret !== null) {
    const now = (message.now ?? new Date()).getTime();
    const open = (last: Date | null | undefined) => !!last && now - last.getTime() <= serviceWindowMs;
    if (!open(message.lastInboundAt) && !open(await repository.lastInboundAt(message.to))) {
      // A message queued before (a retried job's answer) is what it was, whatever the window now.
      const existing = message.id === undefined ? undefined : await repository.findMessage(message.id);
      if (existing) return existing;
      throw new SwitchyardError('SY_ERR_OUTSIDE_SERVICE_WINDOW', outsideWindowMessage);
    }
  }
  const id = message.id ?? newOutboundMessageId();
  const jobId = `message-send.${id}`;
  const row = await repository.insertMessageOnce({
    id,
    environment,
    source: message.source,
    subject: message.subject,
    apiKeyId: message.apiKeyId,
    recipient: message.to,
    phoneNumberId: sender.phoneNumberId,
    kind: message.content.type,
    content: message.content,
    status: 'queued',
    dryRun: sender.api === null,
    jobId,
  });
  if (!row) {
    // A deterministic id queued before: that message, queued once.
    const existing = await repository.findMessage(id);
    if (!existing) throw new SwitchyardError('SY_ERR_INTERNAL', 'The queued message vanished');
    return existing;
  }
  const text = textOf(message.content);
  await dependencies.jobs.enqueue(
    'message.send',
    {
      environment,
      apiKeyId: message.apiKeyId,
      channel: 'whatsapp',
      to: message.to,
      messageId: id,
      kind: message.content.type,
      ...(text ? { text } : {}),
    },
    { environment, jobId, ...(message.requestId ? { trace: { requestId: message.requestId } } : {}) },
  );
  return row;
}

const statusRank: Record<string, number> = { sent: 1, delivered: 2, read: 3 };

/** A failure the webhook reported, as our error (131047 → SY_ERR_OUTSIDE_SERVICE_WINDOW, …). */
function webhookFailure(status: WhatsAppStatusRow): { code: string; message: string } {
  const mapped = graphError(null, {
    code: Number(status.errorCode ?? Number.NaN),
    message: status.errorTitle ?? '',
    error_data: { details: status.errorDetail ?? '' },
  });
  return { code: mapped.code, message: mapped.message };
}

/** The message as GET /v1/messages/{id} shows it: our status, upgraded by what the webhook reported. */
export function describeMessage(row: WhatsAppMessageRow, statuses: readonly WhatsAppStatusRow[]) {
  const failedStatus = statuses.find((status) => status.status === 'failed');
  let status = row.status as 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed';
  if (row.status === 'sent' || row.status === 'sending' || row.status === 'queued') {
    let best = row.status === 'sent' ? 1 : 0;
    for (const entry of statuses) best = Math.max(best, statusRank[entry.status] ?? 0);
    if (best > 0) status = (['sent', 'delivered', 'read'] as const)[best - 1] ?? status;
  }
  if (failedStatus) status = 'failed';
  const error = row.errorCode
    ? { code: row.errorCode, message: row.errorMessage ?? '' }
    : failedStatus
      ? webhookFailure(failedStatus)
      : null;
  return {
    id: row.id,
    object: 'message' as const,
    environment: row.environment as Environment,
    channel: 'whatsapp' as const,
    to: row.recipient,
    type: row.kind,
    status,
    dry_run: row.dryRun,
    whatsapp_message_id: row.wamid,
    error,
    attempts: row.attempts,
    deliveries: statuses.map((entry) => ({
      status: entry.status,
      at: entry.occurredAt.toISOString(),
      error: entry.errorCode
        ? { code: entry.errorCode, title: entry.errorTitle ?? '', detail: entry.errorDetail ?? null }
        : null,
    })),
    created_at: row.createdAt.toISOString(),
    sent_at: row.sentAt ? row.sentAt.toISOString() : null,
  };
}
