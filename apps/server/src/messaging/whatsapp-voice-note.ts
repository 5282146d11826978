import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository } from '@switchyard/db';
import { audioSecondsOf } from '../audio/audio-formats';
import { transcribeReserved } from '../audio/metered-transcription';
import type { UsageInfo } from '../edge/principal';
import type { InboundMessage } from './whatsapp-bot';
import { downloadMedia } from './whatsapp-media';
import { meteredForSender } from './whatsapp-metering';
import type { WhatsAppWebhookJobDependencies } from './whatsapp-webhook-job';

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
  const mediaId = audio.id;
  const configured = dependencies.config.whatsapp?.bot.transcriptionModel ?? undefined;
  const model = dependencies.audioModels.resolve(configured, 'transcription', inbound.environment);
  const used: UsageInfo & { model: string } = {
    model: model.id,
    promptTokens: null,
    completionTokens: null,
    audioSeconds: null,
  };
  return meteredForSender(dependencies, inbound, used, signal, 'a voice note', async ({ subject, plan }) => {
    const media = await downloadMedia(dependencies, inbound, mediaId, signal);
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
  });
}
