import { SwitchyardError } from '@switchyard/core';
import type { InboundMessage } from './whatsapp-bot';
import type { WhatsAppWebhookJobDependencies } from './whatsapp-webhook-job';

/** Largest voice note or image the bot downloads (WhatsApp's own limits are 16 MB and 5 MB). */
const maxMediaBytes = 16 * 1024 * 1024;

/** An inbound message's media (a voice note, a picture) from the Cloud API of its environment. */
export async function downloadMedia(
  dependencies: Pick<WhatsAppWebhookJobDependencies, 'whatsapp'>,
  inbound: InboundMessage,
  mediaId: string,
  signal: AbortSignal,
): Promise<{ bytes: Buffer; mimeType: string }> {
  const api = dependencies.whatsapp.get(inbound.environment)?.api;
  if (!api) throw new SwitchyardError('SY_ERR_MESSAGING_NOT_CONFIGURED', 'The dry-run sink cannot download media');
  const info = await api.mediaInfo(mediaId, signal);
  return { bytes: await api.downloadMedia(info.url, signal, maxMediaBytes), mimeType: info.mimeType };
}
