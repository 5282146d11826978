import { signWhatsAppPayload, whatsappTextMessage } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { signedDelivery } from './webhook-payloads';

describe('bench webhook deliveries', () => {
  const options = { appSecret: 'bench-app-secret', phoneNumberId: '106540352242922', senders: 3 };

  it('are signed as Meta signs them (the testkit signer agrees)', () => {
    const delivery = signedDelivery(options, 7);
    expect(delivery.signature).toBe(signWhatsAppPayload(delivery.raw, options.appSecret));
    expect(delivery.signature).not.toBe(signWhatsAppPayload(delivery.raw, 'another-secret'));
  });

  it('have the shape of the testkit text message, with unique ids and senders round-robin', () => {
    const first = JSON.parse(signedDelivery(options, 0).raw);
    const fourth = JSON.parse(signedDelivery(options, 3).raw);
    const reference = whatsappTextMessage({ phoneNumberId: options.phoneNumberId, from: '1', text: 'x' });
    const keys = (value: unknown) => Object.keys(value as object).sort();
    expect(keys(first)).toEqual(keys(reference));
    expect(keys(first.entry[0].changes[0].value)).toEqual(keys(reference.entry[0]?.changes[0]?.value));
    const message = first.entry[0].changes[0].value.messages[0];
    expect(first.entry[0].changes[0].value.metadata.phone_number_id).toBe(options.phoneNumberId);
    expect(message.id).not.toBe(fourth.entry[0].changes[0].value.messages[0].id);
    expect(message.from).toBe(fourth.entry[0].changes[0].value.messages[0].from);
  });
});
