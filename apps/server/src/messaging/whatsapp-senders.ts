import type { Environment, WhatsAppConfig } from '@switchyard/core';
import { createWhatsAppCloudApi, type WhatsAppCloudApi } from './whatsapp-cloud-api';

/** How one environment sends WhatsApp messages: its own number, through the Cloud API or into the dry-run sink. */
export interface WhatsAppSender {
  readonly environment: Environment;
  readonly phoneNumberId: string;
  /** null for the dev dry-run sink, which records messages instead of sending them. */
  readonly api: WhatsAppCloudApi | null;
  /** The app secret this number's webhook deliveries are signed with (null: no webhook for it). */
  readonly appSecret: string | null;
}

export interface WhatsAppSenders {
  readonly config: WhatsAppConfig | null;
  /** The environment's sender; null when the environment has none configured. */
  get(environment: Environment): WhatsAppSender | null;
  /** The environment whose number this is, if any. */
  environmentOfNumber(phoneNumberId: string): Environment | null;
}

/** One Cloud API client per configured environment; `fetch` is for tests and proxies. */
export function createWhatsAppSenders(config: WhatsAppConfig | null, fetchImpl?: typeof fetch): WhatsAppSenders {
  const senders = new Map<Environment, WhatsAppSender>();
  for (const environment of ['prod', 'dev'] as const) {
    const entry = config?.senders[environment];
    if (!config || !entry) continue;
    const appSecret = entry.appSecret ?? config.appSecret;
    senders.set(environment, {
      environment,
      phoneNumberId: entry.phoneNumberId,
      appSecret,
      api:
        entry.kind === 'dry-run'
          ? null
          : createWhatsAppCloudApi({
              baseURL: config.graphBaseURL,
              apiVersion: config.apiVersion,
              phoneNumberId: entry.phoneNumberId,
              accessToken: entry.accessToken,
              timeoutMs: config.timeoutMs,
              ...(fetchImpl ? { fetch: fetchImpl } : {}),
            }),
    });
  }
  return {
    config,
    get: (environment) => senders.get(environment) ?? null,
    environmentOfNumber(phoneNumberId) {
      for (const sender of senders.values()) if (sender.phoneNumberId === phoneNumberId) return sender.environment;
      return null;
    },
  };
}
