import { randomUUID } from 'node:crypto';
import { type Environment, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository } from '@switchyard/db';
import type { Logger } from 'pino';
import { findUnstorableText } from '../edge/text-input';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { signatureMatches } from './webhook-signature';
import type { WhatsAppSenders } from './whatsapp-senders';

export interface WebhookDependencies {
  readonly databases: Databases;
  readonly jobs: PlatformJobQueue;
  readonly whatsapp: WhatsAppSenders;
}

/** One `entry[].changes[]` item of a delivery: `value` holds metadata, messages, statuses, contacts, errors. */
interface WebhookChange {
  field?: unknown;
  value?: { metadata?: { phone_number_id?: unknown } } & Record<string, unknown>;
}

interface WebhookEntry {
  id?: unknown;
  changes?: WebhookChange[];
}

export interface AcceptedDelivery {
  readonly environment: Environment;
  readonly deliveryId: string;
}

/**
 * A webhook delivery, signature first: the raw body must carry a valid X-Hub-Signature-256 under one
 * of the configured app secrets (otherwise 401 and nothing is read or stored). The changes are then
 * split by the environment whose phone number they concern (only when that environment's own secret
 * signed them), stored, and each environment's part queued as a `whatsapp.webhook` job.
 */
export async function acceptDelivery(
  dependencies: WebhookDependencies,
  rawBody: Buffer,
  signature: string | undefined,
  logger: Pick<Logger, 'warn'>,
  /** The webhook request (its X-Request-Id): stored with each environment's job. */
  requestId?: string,
): Promise<AcceptedDelivery[]> {
  const secrets = new Map<Environment, string>();
  for (const environment of ['prod', 'dev'] as const) {
    const secret = dependencies.whatsapp.get(environment)?.appSecret;
    if (secret) secrets.set(environment, secret);
  }
  if (secrets.size === 0) {
    throw new SwitchyardError(
      'SY_ERR_MESSAGING_NOT_CONFIGURED',
      'The WhatsApp webhook is not configured (whatsapp.appSecret); deliveries cannot be verified',
    );
  }
  const signedFor = new Set<Environment>();
  for (const [environment, secret] of secrets) {
    if (signatureMatches(rawBody, signature, secret)) signedFor.add(environment);
  }
  if (signedFor.size === 0) {
    throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'X-Hub-Signature-256 is missing or does not match the body');
  }
  let payload: { object?: unknown; entry?: WebhookEntry[] };
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new SwitchyardError('SY_ERR_INVALID_JSON', 'The delivery is not JSON');
  }
  const problem = findUnstorableText(payload, 'body');
  if (problem) throw new SwitchyardError('SY_ERR_INVALID_TEXT', `${problem.field} is not valid text`);
  if (payload?.object !== 'whatsapp_business_account' || !Array.isArray(payload.entry)) return [];

  const parts = new Map<Environment, WebhookEntry[]>();
  for (const entry of payload.entry) {
    for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
      const number = change?.value?.metadata?.phone_number_id;
      const environment = typeof number === 'string' ? dependencies.whatsapp.environmentOfNumber(number) : null;
      if (!environment || !signedFor.has(environment)) {
        // Another app's number, or one signed with the other environment's secret: not ours to act on.
        logger.warn(
          { field: change?.field },
          'whatsapp webhook: a change for a phone number this environment does not own',
        );
        continue;
      }
      const entries = parts.get(environment) ?? [];
      entries.push({ id: entry.id, changes: [change] });
      parts.set(environment, entries);
    }
  }
  const accepted: AcceptedDelivery[] = [];
  for (const [environment, entries] of parts) {
    const deliveryId = `whd_${randomUUID().replaceAll('-', '')}`;
    await createWhatsAppRepository(dependencies.databases[environment].db).insertDelivery({
      id: deliveryId,
      environment,
      payload: { object: payload.object, entry: entries },
    });
    await dependencies.jobs.enqueue(
      'whatsapp.webhook',
      { environment, deliveryId },
      { environment, jobId: `whatsapp-webhook.${deliveryId}`, ...(requestId ? { trace: { requestId } } : {}) },
    );
    accepted.push({ environment, deliveryId });
  }
  return accepted;
}
