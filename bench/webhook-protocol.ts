import type { Summary } from './stats';

/** What webhook-ack.ts sends webhook-client.ts: `warmup` deliveries one at a time, then `requests` over `connections`. */
export interface WebhookJob {
  url: string;
  appSecret: string;
  /** The business number the deliveries are for (the configured prod sender's). */
  phoneNumberId: string;
  /** Distinct users writing in, round-robin. */
  senders: number;
  /** Index of the first delivery: message ids and senders stay unique across runs. */
  firstIndex: number;
  warmup: number;
  requests: number;
  connections: number;
}

export interface WebhookRunResult {
  connections: number;
  requests: number;
  warmupOk: number;
  /** 200 acknowledgements among the measured requests. */
  ok: number;
  errors: number;
  firstError: string | null;
  statusCodes: Record<string, number>;
  seconds: number;
  acknowledgementsPerSecond: number;
  /** Time from sending a delivery to the end of its 200 answer, measured requests only. */
  latencyMicroseconds: Summary;
}
