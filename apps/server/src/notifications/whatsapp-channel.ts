import type { Environment } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import { renderWhatsAppTemplateParameters, renderWhatsAppText } from './email-templates';
import type { OutboundChannel } from './outbound-channel';

/** One notification (or digest) as WhatsApp gets it. */
export interface WhatsAppNotification {
  environment: Environment;
  /** The delivery batch: sending the same batch again (a retried job) sends nothing twice. */
  batchId: string;
  /** E.164. */
  to: string;
  /** The template's body parameter {{1}}: one line. */
  headline: string;
  /** The template's body parameter {{2}}: one line with the text and the link. */
  details: string;
  /** The whole notification as free-form text (for a sender that may use it inside the 24-hour window). */
  text: string;
}

/**
 * What notifications need from the messaging capability: send one WhatsApp notification now, as the
 * approved notification template (notifications mostly fall outside the 24-hour customer-service window,
 * where WhatsApp accepts nothing else). Throwing a retryable error (an outage) makes the
 * `notification.deliver` job try again later; an error that is not retryable dead-letters it.
 */
export interface WhatsAppSender {
  /** Whether this environment has a number to send from; one without gets no WhatsApp deliveries. */
  availableIn?(environment: Environment): boolean;
  send(message: WhatsAppNotification, options: { signal: AbortSignal }): Promise<void>;
}

/** The WhatsApp channel; without a sender (messaging not configured) it is unavailable and nothing is queued. */
export function createWhatsAppChannel(sender: WhatsAppSender | null): OutboundChannel {
  return {
    name: 'whatsapp',
    available: sender !== null,
    availableIn: (environment) => sender !== null && (sender.availableIn?.(environment) ?? true),
    async send(message, signal) {
      if (!sender) {
        throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'WhatsApp messaging is not configured');
      }
      const { headline, details } = renderWhatsAppTemplateParameters(message);
      await sender.send(
        {
          environment: message.environment,
          batchId: message.batchId,
          to: message.to,
          headline,
          details,
          text: renderWhatsAppText(message),
        },
        { signal },
      );
    },
    close() {},
  };
}
