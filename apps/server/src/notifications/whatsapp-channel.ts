import type { Environment } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import { renderWhatsAppText } from './email-templates';
import type { OutboundChannel } from './outbound-channel';

/**
 * What notifications need from the messaging capability: send one WhatsApp text now. Throwing a
 * retryable error (an outage) makes the `notification.deliver` job try again later.
 */
export interface WhatsAppSender {
  send(
    message: { environment: Environment; to: string; text: string },
    options: { signal: AbortSignal },
  ): Promise<void>;
}

/** The WhatsApp channel; without a sender (messaging not configured) it is unavailable and nothing is queued. */
export function createWhatsAppChannel(sender: WhatsAppSender | null): OutboundChannel {
  return {
    name: 'whatsapp',
    available: sender !== null,
    async send(message, signal) {
      if (!sender) {
        throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'WhatsApp messaging is not configured');
      }
      await sender.send(
        { environment: message.environment, to: message.to, text: renderWhatsAppText(message) },
        { signal },
      );
    },
    close() {},
  };
}
