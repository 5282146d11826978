import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository } from '@switchyard/db';
import { audioSecondsOf } from '../audio/audio-formats';
import { transcribeReserved } from '../audio/metered-transcription';
import { planAllowsModel } from '../edge/plan-limits';
import type { UsageInfo } from '../edge/principal';
import type { BudgetTicket } from '../plans/budget-enforcer';
import { projectOfBudgetSubject } from '../plans/plan-store';
import { recordMeteredUsage } from '../usage/metered-usage';
import type { InboundMessage } from './whatsapp-bot';
import { downloadMedia } from './whatsapp-media';
import type { WhatsAppWebhookJobDependencies } from './whatsapp-webhook-job';

/** The usage log's route for the bot's model calls (voice notes, answers): they reach Switchyard through the webhook. */
export const whatsappUsageRoute = '/v1/whatsapp/webhook';

const extensionOf: Record<string, string> = {
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
};

/** What the sender is told instead of an answer when their voice note is not transcribed. */
export const voiceNoteRefusals = {
  unavailable: 'Sorry, I cannot listen to voice notes here. Please write your question.',
  quota:
    'Sorry, you have used up today’s minutes for voice notes. Please write your question instead; ' +
    'voice notes work again after midnight (UTC).',
  budget: 'Sorry, the budget for voice notes is used up for now. Please write your question instead.',
} as const;

/** Why a voice note was not transcribed: the sender is told, the job is not retried. */
export function voiceNoteRefusal(error: unknown): { refusal: string; outcome: string } | null {
  if (!isSwitchyardError(error)) return null;
  if (error.code === 'SY_ERR_QUOTA_EXCEEDED')
    return { refusal: voiceNoteRefusals.quota, outcome: 'audio-quota-exceeded' };
  if (error.code === 'SY_ERR_BUDGET_EXCEEDED') return { refusal: voiceNoteRefusals.budget, outcome: 'budget-exceeded' };
  // No transcription model, or one the plan leaves out: say so. An upstream fault retries the job.
  if (!error.isRetryable) return { refusal: voiceNoteRefusals.unavailable, outcome: 'refused' };
  return null;
}

/**
 * A voice note (or audio file) as text, metered like `/v1/audio/transcriptions`: the sender
 * (`whatsapp:+<number>`, on the plan of anonymous callers) is admitted by the plan's model list and
 * budget, its seconds are taken from the daily audio minutes before the upstream is called and
 * settled after, and one usage row carries the seconds and their cost. A transcript already kept
 * from an earlier attempt of the job is used as it is: it was paid for once.
 */
export async function transcribeVoiceNote(
  dependencies: WhatsAppWebhookJobDependencies,
  inbound: InboundMessage,
  signal: AbortSignal,
): Promise<string> {
  const repository = createWhatsAppRepository(dependencies.databases[inbound.environment].db);
  const kept = (await repository.findInbound(inbound.wamid))?.text;
  if (kept) return kept;
  const audio = inbound.message.audio as { id?: unknown } | undefined;
  if (typeof audio?.id !== 'string') throw new SwitchyardError('SY_ERR_VALIDATION', 'The voice note has no media id');
  const configured = dependencies.config.whatsapp?.bot.transcriptionModel ?? undefined;
  const model = dependencies.audioModels.resolve(configured, 'transcription', inbound.environment);
  const subject = `whatsapp:${inbound.sender}`;
  const plans = dependencies.plans ?? null;
  const resolution = plans?.store.resolve({ kind: 'anonymous', keyId: null, userId: null, subject }) ?? null;
  const plan = resolution?.plan ?? null;
  if (plans && plan?.models && !planAllowsModel(plans, plan.models, model.id)) {
    throw new SwitchyardError(
      'SY_ERR_MODEL_NOT_ALLOWED',
      `The model '${model.id}' is not included in plan '${plan.id}'`,
    );
  }
  const started = Date.now();
  const used: UsageInfo = { model: model.id, promptTokens: null, completionTokens: null, audioSeconds: null };
  let ticket: BudgetTicket | null = null;
  let status = 200;
  try {
    if (plans && resolution) {
      ticket = await plans.budgets.admit(
        {
          plan: resolution.plan,
          budgetSubject: resolution.budgetSubject,
          environment: inbound.environment,
          userId: null,
        },
        signal,
      );
    }
    const media = await downloadMedia(dependencies, inbound, audio.id, signal);
    const mimeType = media.mimeType.split(';')[0]?.trim() || 'audio/ogg';
    const reservation = await dependencies.audioQuota.reserve(
      inbound.environment,
      subject,
      audioSecondsOf(media.bytes, undefined),
      plan?.audioMinutesPerDay ?? null,
    );
    const { transcript, seconds } = await transcribeReserved(dependencies.audioQuota, reservation, media.bytes, () =>
      model.provider.transcribe(
        { file: { bytes: media.bytes, fileName: `voice.${extensionOf[mimeType] ?? 'ogg'}`, mimeType }, format: 'json' },
        { signal },
      ),
    );
    used.audioSeconds = seconds;
    return (transcript.text ?? '').trim();
  } catch (error) {
    status = isSwitchyardError(error) ? error.status : 500;
    throw error;
  } finally {
    const recorded = recordMeteredUsage(dependencies, {
      environment: inbound.environment,
      apiKeyId: null,
      userId: null,
      projectId: projectOfBudgetSubject(resolution?.budgetSubject),
      clientIp: null,
      subject,
      method: 'POST',
      route: whatsappUsageRoute,
      status,
      latencyMs: Date.now() - started,
      used,
      ticket,
    });
    // The row is queued already; a budget that cannot be settled must not hide the transcript or its error.
    await recorded.catch((error: unknown) =>
      dependencies.logger.warn({ err: error }, 'whatsapp bot: a voice note’s budget could not be settled'),
    );
  }
}
