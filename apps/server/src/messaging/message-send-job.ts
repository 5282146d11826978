import { randomUUID } from 'node:crypto';
import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository } from '@switchyard/db';
import type { JobContext, JobPayload, PlatformJobs } from '@switchyard/jobs';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { OutboundContent } from './whatsapp-cloud-api';
import type { WhatsAppSenders } from './whatsapp-senders';

export interface MessageSendJobDependencies {
  readonly databases: Databases;
  readonly whatsapp: WhatsAppSenders;
}

type MessagePayload = JobPayload<PlatformJobs, 'message.send'>;

const refuse = (message: string) =>
  new SwitchyardError('SY_ERR_MESSAGING_NOT_CONFIGURED', message, { isRetryable: false });

/**
 * `message.send`: sends one stored message from its environment's own number (or records it in dev's
 * dry-run sink). A message already sent is not sent again (jobs run at least once). WhatsApp's 429s,
 * 5xx and unreachability are retried on the job's escalating schedule; a refusal (outside the 24-hour
 * window, recipient not on WhatsApp, a bad token, a bad template) fails the message and dead-letters
 * the job at once, and so does the last failed attempt.
 */
export async function registerMessageSendJob(
  jobs: PlatformJobQueue,
  dependencies: MessageSendJobDependencies,
): Promise<void> {
  await jobs.process('message.send', async (context: JobContext<MessagePayload>) => {
    const { payload, signal, attempt, maxAttempts } = context;
    const repository = createWhatsAppRepository(dependencies.databases[payload.environment].db);
    const sender = dependencies.whatsapp.get(payload.environment);
    const messageId = payload.messageId ?? `wamsg_${context.id.replaceAll(/[^A-Za-z0-9]/g, '')}`;
    if (!sender) {
      const row = await repository.findMessage(messageId);
      if (!row) throw refuse(`Message '${messageId}' does not exist in ${payload.environment}`);
      if (row.status === 'sent' && row.wamid) return { messageId: row.id, wamid: row.wamid };
      const error = refuse(`WhatsApp is no longer configured for ${payload.environment}`);
      await repository.markFailed(row.id, error.code, error.message);
      throw error;
    }
    // Usually one statement: the stored message, not sent yet and from this number, marked sending.
    const started = await repository.startSending(messageId, sender.phoneNumberId, attempt);
    let row = started ?? (await repository.findMessage(messageId));
    if (!row && payload.messageId === undefined && payload.text !== undefined) {
      // A job queued with its text in the payload (no stored message): it gets its row now.
      const content: OutboundContent = { type: 'text', text: { body: payload.text } };
      row = await repository.insertMessageOnce({
        id: messageId,
        environment: payload.environment,
        source: 'api',
        subject: payload.apiKeyId ? `key:${payload.apiKeyId}` : 'system',
        apiKeyId: payload.apiKeyId,
        recipient: payload.to,
        phoneNumberId: sender.phoneNumberId,
        kind: 'text',
        content,
        status: 'queued',
        dryRun: sender.api === null,
        jobId: context.id,
      });
      // Inserted meanwhile by another attempt.
      row ??= await repository.findMessage(messageId);
    }
    if (!row) throw refuse(`Message '${messageId}' does not exist in ${payload.environment}`);
    if (!started) {
      if (row.status === 'sent' && row.wamid) return { messageId: row.id, wamid: row.wamid };
      // The number is fixed when the message is queued; never send it from another (say prod's) number.
      if (sender.phoneNumberId !== row.phoneNumberId) {
        const error = refuse(`${payload.environment}'s phone number changed since the message was queued`);
        await repository.markFailed(row.id, error.code, error.message);
        throw error;
      }
      await repository.markSending(row.id, attempt);
    }
    if (sender.api === null) {
      const wamid = `dryrun.${randomUUID()}`;
      await repository.markSent(row.id, wamid, new Date());
      return { messageId: row.id, wamid, dryRun: true };
    }
    try {
      const sent = await sender.api.send(row.recipient, row.content as OutboundContent, signal);
      await repository.markSent(row.id, sent.wamid, new Date());
      return { messageId: row.id, wamid: sent.wamid };
    } catch (error) {
      const known = isSwitchyardError(error)
        ? error
        : new SwitchyardError('SY_ERR_UPSTREAM_UNAVAILABLE', 'WhatsApp could not be reached', { cause: error });
      const retried = known.isRetryable && attempt < maxAttempts;
      if (retried) await repository.markRetrying(row.id, known.code, known.message);
      else await repository.markFailed(row.id, known.code, known.message);
      throw known;
    }
  });
}
