import { createHmac } from 'node:crypto';

/**
 * A WhatsApp Cloud API webhook delivery with one inbound text message, shaped as Meta sends it
 * (`object`, `entry[].changes[].value` with `metadata`, `contacts`, `messages`), and its
 * X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body keyed with the app secret.
 */
export function signedDelivery(
  options: { appSecret: string; phoneNumberId: string; senders: number },
  index: number,
): { raw: string; signature: string } {
  const from = `49151${String(index % Math.max(1, options.senders)).padStart(7, '0')}`;
  const payload = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: options.phoneNumberId },
              contacts: [{ profile: { name: 'Bench User' }, wa_id: from }],
              messages: [
                {
                  from,
                  id: `wamid.bench${String(index).padStart(10, '0')}`,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: `Benchmark message ${index}: what is on the menu today?` },
                },
              ],
            },
          },
        ],
      },
    ],
  };
  const raw = JSON.stringify(payload);
  return { raw, signature: `sha256=${createHmac('sha256', options.appSecret).update(raw).digest('hex')}` };
}
