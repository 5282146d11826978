import type { Environment } from '@switchyard/core';
import type { OutboundChannelName } from '@switchyard/db';

/** One notification as a channel sends it: links are absolute, each kind has its unsubscribe link. */
export interface OutboundItem {
  kind: string;
  title: string;
  body: string;
  /** Absolute URL of what the notification points at, or null. */
  url: string | null;
  createdAt: Date;
  /** Turns this kind off on this channel, without signing in. */
  unsubscribeUrl: string;
}

export interface OutboundMessage {
  environment: Environment;
  /** The delivery batch this message sends (the same on every attempt of its job). */
  batchId: string;
  /** The address on the channel: an email address, an E.164 number. */
  to: string;
  /** The user's display name (may be empty). */
  name: string;
  /** True for the daily digest (one message for many notifications). */
  digest: boolean;
  items: readonly OutboundItem[];
}

/**
 * A way out of the app (email, WhatsApp). Sending throws a retryable error for an outage (the
 * `notification.deliver` job tries again) and an unrecoverable one for a message the other side refused.
 */
export interface OutboundChannel {
  readonly name: OutboundChannelName;
  /** False when the server is not set up for it (no SMTP, no messaging): no delivery is created. */
  readonly available: boolean;
  /** Whether it can send in this environment (WhatsApp: the environment has a number); default `available`. */
  availableIn?(environment: Environment): boolean;
  send(message: OutboundMessage, signal: AbortSignal): Promise<void>;
  close(): void;
}
