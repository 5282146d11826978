import { createUsageRepository, createWhatsAppRepository } from '@switchyard/db';
import { platformJobs, withBackoffSchedule } from '@switchyard/jobs';
import {
  deliverWhatsAppWebhook,
  eventually,
  type FakeOpenAIAudioServer,
  type FakeUpstreamServer,
  type FakeWhatsAppGraph,
  spokenWav,
  startFakeOpenAI,
  startFakeOpenAIAudio,
  startFakeWhatsAppGraph,
  whatsappImageMessage,
  whatsappStatusUpdate,
  whatsappTextMessage,
  whatsappVoiceMessage,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/** Loaded CI machines are slow: a generous bound on waits for events, and on each test (never what decides it). */
const slow = { timeout: 90_000 };
const soon = <T>(assertion: () => T | Promise<T>) => eventually(assertion, { safetyMs: 45_000 });

const appSecret = 'meta-app-secret-for-tests-0123456789';
const verifyToken = 'verify-token-for-tests-0123';
const prodNumber = '1111111111';
const devNumber = '2222222222';
const prodToken = 'EAAG-prod-access-token-0123456789';
const devToken = 'EAAG-dev-access-token-0123456789';

let graph: FakeWhatsAppGraph;
let openai: FakeUpstreamServer & { requests: Array<{ body: unknown }> };
let audio: FakeOpenAIAudioServer;
let server: TestServer;
let prodKey: string;
let devKey: string;
let adminKey: string;

/** The model's answer: `answer: <question>`, or a long one when asked for it. */
function reply(body: Record<string, unknown>): string {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const last = messages.at(-1)?.content;
  const text = typeof last === 'string' ? last : JSON.stringify(last);
  if (text.includes('long answer please')) return `${'word '.repeat(1500)}\n\n${'more '.repeat(1000)}`.trim();
  return `answer: ${text} (${messages.filter((message) => message.role === 'user').length} questions so far)`;
}

beforeAll(async () => {
  graph = await startFakeWhatsAppGraph({
    numbers: { [prodNumber]: prodToken, [devNumber]: devToken },
    templates: { order_update: 2, hello_world: 0 },
  });
  openai = (await startFakeOpenAI({ reply })) as typeof openai;
  audio = await startFakeOpenAIAudio({ transcript: () => 'what is the weather today' });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'fake', type: 'openai-compatible', baseURL: openai.url }],
      models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
      audioModels: [{ id: 'whisper-1', type: 'openai-compatible', baseURL: audio.url }],
      prices: { 'whisper-1': { perAudioMinute: 0.6 }, smart: { inputPerMillion: 1_000, outputPerMillion: 2_000 } },
      whatsapp: {
        graphBaseURL: graph.url,
        appSecret,
        verifyToken,
        prod: { phoneNumberId: prodNumber, accessToken: prodToken },
        dev: { phoneNumberId: devNumber, accessToken: devToken },
        bot: {
          enabled: true,
          model: 'smart',
          visionModel: 'smart',
          systemPrompt: 'You are the Switchyard WhatsApp bot.',
        },
      },
    },
    // Retries after 20 ms instead of minutes: the escalation itself is the catalog's (tested there).
    jobsCatalog: withBackoffSchedule(platformJobs, [20, 20, 20, 20]),
  });
  prodKey = await server.createKey('prod');
  devKey = await server.createKey('dev');
  adminKey = await server.createKey('prod', { admin: true });
});

afterAll(async () => {
  await server?.destroy();
  await Promise.all([graph?.close(), openai?.close(), audio?.close()]);
});

const webhookUrl = () => `${server.url}/v1/whatsapp/webhook`;

async function send(body: Record<string, unknown>, key: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/v1/messages/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await readJson(response) };
}

async function message(id: string, key: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${server.url}/v1/messages/${id}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: await readJson(response) };
}

/** The user wrote to the number (so the 24-hour window is open), as Meta would tell the webhook. */
async function userWrites(from: string, text: string, phoneNumberId = prodNumber, id?: string) {
  graph.openWindow(from);
  const response = await deliverWhatsAppWebhook(
    webhookUrl(),
    whatsappTextMessage({ phoneNumberId, from, text, ...(id ? { id } : {}) }),
    appSecret,
  );
  expect(response.status, await response.clone().text()).toBe(200);
  return response;
}

/** The user sent a voice note (the window is open), as Meta would tell the webhook. */
async function userSpeaks(from: string, recording: Buffer) {
  graph.openWindow(from);
  const mediaId = graph.addMedia(recording, 'audio/ogg');
  const response = await deliverWhatsAppWebhook(
    webhookUrl(),
    whatsappVoiceMessage({ phoneNumberId: prodNumber, from, mediaId }),
    appSecret,
  );
  expect(response.status, await response.clone().text()).toBe(200);
  return mediaId;
}

const sentTo = (waId: string) => graph.sent.filter((entry) => entry.body.to === waId);
const textsTo = (waId: string) =>
  sentTo(waId).map((entry) => (entry.body.text as { body: string } | undefined)?.body ?? '');

describe('POST /v1/messages/send', () => {
  it(
    'sends a text from the environment’s number, and shows the delivery statuses the webhook reports',
    slow,
    async () => {
      await userWrites('4915100000001', 'hi there');
      // The bot answers that message; wait for it so the count below is about our message only.
      await soon(() => expect(sentTo('4915100000001')).toHaveLength(1));

      const accepted = await send({ to: '+4915100000001', text: 'Your order shipped' }, prodKey);
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ object: 'message', status: 'queued', environment: 'prod' });
      expect(accepted.headers.get('location')).toBe(`/v1/messages/${accepted.body.id}`);
      const [, ours] = await graph.waitForSent(graph.sent.length + 1).then(() => sentTo('4915100000001'));
      expect(ours?.phoneNumberId).toBe(prodNumber);
      expect(ours?.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '4915100000001',
        type: 'text',
        text: { body: 'Your order shipped' },
      });
      const request = graph.requests.find((entry) => JSON.stringify(entry.body).includes('Your order shipped'));
      expect(request?.path).toBe(`/v21.0/${prodNumber}/messages`);
      expect(request?.headers.authorization).toBe(`Bearer ${prodToken}`);

      const sent = await soon(async () => {
        const current = await message(accepted.body.id, prodKey);
        expect(current.body.status).toBe('sent');
        return current.body;
      });
      expect(sent.whatsapp_message_id).toBe(ours?.wamid);

      for (const status of ['sent', 'delivered'] as const) {
        const delivered = await deliverWhatsAppWebhook(
          webhookUrl(),
          whatsappStatusUpdate({
            phoneNumberId: prodNumber,
            wamid: sent.whatsapp_message_id,
            status,
            recipient: '4915100000001',
          }),
          appSecret,
        );
        expect(delivered.status).toBe(200);
      }
      const final = await soon(async () => {
        const current = await message(accepted.body.id, prodKey);
        expect(current.body.status).toBe('delivered');
        return current.body;
      });
      expect(final.deliveries.map((entry: Json) => entry.status)).toEqual(['sent', 'delivered']);
      expect(final).toMatchObject({ to: '+4915100000001', type: 'text', dry_run: false, error: null, attempts: 1 });

      // Another key of the same environment does not see it.
      expect((await message(accepted.body.id, await server.createKey('prod'))).status).toBe(404);
      expect((await message(accepted.body.id, devKey)).status).toBe(404);
    },
  );

  it(
    'refuses free-form text outside the 24-hour window with a clear error, and sends a template instead',
    slow,
    async () => {
      const refused = await send({ to: '+4915100000002', text: 'Hello out of the blue' }, prodKey);
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('SY_ERR_OUTSIDE_SERVICE_WINDOW');
      expect(refused.body.error.message).toMatch(/template/);
      expect(sentTo('4915100000002')).toHaveLength(0);

      const template = await send(
        {
          to: '+4915100000002',
          type: 'template',
          template: { name: 'order_update', language: 'en_US', parameters: ['Ada', '#42'] },
        },
        prodKey,
      );
      expect(template.status).toBe(202);
      const [sent] = await soon(() => {
        const found = sentTo('4915100000002');
        expect(found).toHaveLength(1);
        return found;
      });
      expect(sent?.body).toMatchObject({
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Ada' },
                { type: 'text', text: '#42' },
              ],
            },
          ],
        },
      });
    },
  );

  it('shows a failure the webhook reports later, with WhatsApp’s reason mapped', slow, async () => {
    const accepted = await send(
      { to: '+4915100000008', type: 'template', template: { name: 'hello_world', language: 'en_US' } },
      prodKey,
    );
    const sent = await soon(async () => {
      const current = await message(accepted.body.id, prodKey);
      expect(current.body.status).toBe('sent');
      return current.body;
    });
    const failed = await deliverWhatsAppWebhook(
      webhookUrl(),
      whatsappStatusUpdate({
        phoneNumberId: prodNumber,
        wamid: sent.whatsapp_message_id,
        status: 'failed',
        recipient: '4915100000008',
        error: { code: 131026, title: 'Message undeliverable', details: 'Recipient is not a WhatsApp user' },
      }),
      appSecret,
    );
    expect(failed.status).toBe(200);
    const final = await soon(async () => {
      const current = await message(accepted.body.id, prodKey);
      expect(current.body.status).toBe('failed');
      return current.body;
    });
    expect(final.error.code).toBe('SY_ERR_RECIPIENT_UNAVAILABLE');
    expect(final.deliveries).toEqual([
      {
        status: 'failed',
        at: expect.any(String),
        error: { code: '131026', title: 'Message undeliverable', detail: 'Recipient is not a WhatsApp user' },
      },
    ]);
  });

  it('maps WhatsApp’s own refusals: 131047 fails the message with the window error, no retry', slow, async () => {
    // We saw the user write (the webhook), but WhatsApp's clock says otherwise: its answer wins.
    await deliverWhatsAppWebhook(
      webhookUrl(),
      whatsappTextMessage({ phoneNumberId: prodNumber, from: '4915100000003', text: 'STOP' }),
      appSecret,
    );
    await soon(async () => {
      const repository = createWhatsAppRepository(server.parts.databases.prod.db);
      expect(
        (await repository.findInbound((await repository.latestInbound('+4915100000003'))?.wamid ?? ''))?.handledAt,
      ).not.toBeNull();
    });
    const accepted = await send({ to: '+4915100000003', text: 'Are you there?' }, prodKey);
    expect(accepted.status).toBe(202);
    const failed = await soon(async () => {
      const current = await message(accepted.body.id, prodKey);
      expect(current.body.status).toBe('failed');
      return current.body;
    });
    expect(failed.error.code).toBe('SY_ERR_OUTSIDE_SERVICE_WINDOW');
    expect(failed.attempts).toBe(1);
  });

  it('retries a 5xx or rate limit from WhatsApp and then sends', slow, async () => {
    await userWrites('4915100000004', 'STOP');
    // The bot confirms the STOP first; the failures below are for our message.
    await soon(() => expect(sentTo('4915100000004')).toHaveLength(1));
    graph.failNextSends(1, 500, 131000, 'Something went wrong');
    graph.failNextSends(1, 400, 130429, 'Rate limit hit');
    const accepted = await send({ to: '+4915100000004', text: 'Third time lucky' }, prodKey);
    expect(accepted.status).toBe(202);
    const sent = await soon(async () => {
      const current = await message(accepted.body.id, prodKey);
      expect(current.body.status).toBe('sent');
      return current.body;
    });
    expect(sent.attempts).toBe(3);
  });

  it('keeps a dev key on the dev number: naming the prod number is 403', slow, async () => {
    await userWrites('4915100000005', 'STOP', devNumber);
    const refused = await send({ to: '+4915100000005', text: 'from prod?', from: prodNumber }, devKey);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SY_ERR_ENVIRONMENT_FORBIDDEN');
    const accepted = await send({ to: '+4915100000005', text: 'from dev', from: devNumber }, devKey);
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-environment')).toBe('dev');
    const [sent] = await soon(() => {
      const found = sentTo('4915100000005').filter((entry) => JSON.stringify(entry.body).includes('from dev'));
      expect(found).toHaveLength(1);
      return found;
    });
    expect(sent?.phoneNumberId).toBe(devNumber);
    expect(graph.requests.every((entry) => !JSON.stringify(entry.body ?? '').includes('from prod?'))).toBe(true);
  });

  it('needs a key with the messages scope, validates the body and honours Idempotency-Key', slow, async () => {
    const anonymous = await fetch(`${server.url}/v1/messages/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+4915100000006', text: 'x' }),
    });
    expect(anonymous.status).toBe(401);
    const chatOnly = await server.createKey('prod', { scopes: ['chat'] });
    expect((await send({ to: '+4915100000006', text: 'x' }, chatOnly)).status).toBe(403);
    const bad = await send({ to: '015100000006', text: 'x' }, prodKey);
    expect(bad.status).toBe(400);
    const mixed = await send(
      { to: '+4915100000006', text: 'x', image: { link: 'https://example.com/a.png' } },
      prodKey,
    );
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.message).toMatch(/image/);
    const noMedia = await send({ to: '+4915100000006', type: 'image', image: { caption: 'x' } }, prodKey);
    expect(noMedia.status).toBe(400);

    await userWrites('4915100000006', 'STOP');
    const body = { to: '+4915100000006', type: 'image', image: { link: 'https://example.com/a.png', caption: 'A' } };
    const first = await send(body, prodKey, { 'idempotency-key': 'send-once-1' });
    const again = await send(body, prodKey, { 'idempotency-key': 'send-once-1' });
    expect(first.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await soon(() => expect(sentTo('4915100000006').filter((entry) => entry.body.type === 'image')).toHaveLength(1));
  });

  it('uploads media through the Cloud API and sends it by its id', slow, async () => {
    await userWrites('4915100000007', 'STOP');
    await soon(() => expect(sentTo('4915100000007')).toHaveLength(1));
    const upload = async (type: string) => {
      const form = new FormData();
      form.set('type', type);
      form.set('file', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])]), 'chart.png');
      const response = await fetch(`${server.url}/v1/messages/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${prodKey}` },
        body: form,
      });
      return { status: response.status, body: await readJson(response) };
    };
    expect((await upload('application/x-msdownload')).status).toBe(400);
    const uploaded = await upload('image/png');
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ environment: 'prod', type: 'image/png', bytes: 7 });
    expect(graph.uploads.get(uploaded.body.id)).toMatchObject({ mimeType: 'image/png', phoneNumberId: prodNumber });
    const request = graph.requests.find((entry) => entry.path === `/v21.0/${prodNumber}/media`);
    expect(request?.headers.authorization).toBe(`Bearer ${prodToken}`);

    const accepted = await send(
      { to: '+4915100000007', type: 'image', image: { id: uploaded.body.id, caption: 'This week' } },
      prodKey,
    );
    expect(accepted.status).toBe(202);
    const [sent] = await soon(() => {
      const found = sentTo('4915100000007').filter((entry) => entry.body.type === 'image');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(sent?.body.image).toEqual({ id: uploaded.body.id, caption: 'This week' });
  });

  it('has per-environment rate limits as settings', slow, async () => {
    const put = await fetch(`${server.url}/v1/admin/settings/rate_limit.messages.dev`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ value: 1 }),
    });
    expect(put.status).toBe(200);
    const key = await server.createKey('dev');
    const first = await send(
      { to: '+4915100000099', type: 'template', template: { name: 'hello_world', language: 'en_US' } },
      key,
    );
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ratelimit-limit')).toBe('1');
    const second = await send(
      { to: '+4915100000099', type: 'template', template: { name: 'hello_world', language: 'en_US' } },
      key,
    );
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('SY_ERR_RATE_LIMITED');
    // prod's bucket is its own.
    const prod = await send(
      { to: '+4915100000099', type: 'template', template: { name: 'hello_world', language: 'en_US' } },
      prodKey,
    );
    expect(prod.status).toBe(202);
  });
});

describe('the WhatsApp webhook', () => {
  it('answers the verification handshake only with the right token', slow, async () => {
    const ok = await fetch(
      `${webhookUrl()}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${webhookUrl()}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrong.status).toBe(403);
  });

  it('refuses a delivery with a bad or missing signature with 401 and stores nothing', slow, async () => {
    const payload = whatsappTextMessage({ phoneNumberId: prodNumber, from: '4915100000010', text: 'forged' });
    const forged = await deliverWhatsAppWebhook(webhookUrl(), payload, 'not-the-app-secret');
    expect(forged.status).toBe(401);
    const unsigned = await fetch(webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(unsigned.status).toBe(401);
    const repository = createWhatsAppRepository(server.parts.databases.prod.db);
    expect(await repository.latestInbound('+4915100000010')).toBeUndefined();
    expect(await repository.findContact('+4915100000010')).toBeUndefined();
  });

  it(
    'answers an inbound text with the bot, in a stored conversation, once even when Meta redelivers',
    slow,
    async () => {
      const id = 'wamid.HBgLNDkxNTEwMDAwMDExFQIAEhgg-replayed';
      await userWrites('4915100000011', 'What is Switchyard?', prodNumber, id);
      await userWrites('4915100000011', 'What is Switchyard?', prodNumber, id);
      const [answer] = await soon(() => {
        const texts = textsTo('4915100000011');
        expect(texts).toHaveLength(1);
        return texts;
      });
      expect(answer).toBe('answer: What is Switchyard? (1 questions so far)');
      const lastRequest = openai.requests.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
      expect(lastRequest.messages[0]).toEqual({ role: 'system', content: 'You are the Switchyard WhatsApp bot.' });

      // The conversation continues, and is stored like any chat.
      await userWrites('4915100000011', 'And who made it?');
      await soon(() => expect(textsTo('4915100000011')).toHaveLength(2));
      expect(textsTo('4915100000011')[1]).toBe('answer: And who made it? (2 questions so far)');
      // A replay a while later still changes nothing.
      await userWrites('4915100000011', 'What is Switchyard?', prodNumber, id);
      const contact = await createWhatsAppRepository(server.parts.databases.prod.db).findContact('+4915100000011');
      expect(contact?.conversationId).toMatch(/^chat_/);
      const admin = await fetch(`${server.url}/v1/admin/whatsapp/conversations`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const listed = (await readJson(admin)).conversations.find((entry: Json) => entry.wa_id === '+4915100000011');
      expect(listed).toMatchObject({ conversation_id: contact?.conversationId, opted_out: false });
      expect(textsTo('4915100000011')).toHaveLength(2);
    },
  );

  it('knows /help, /reset and STOP, and splits long answers at 4096 characters', slow, async () => {
    const from = '4915100000012';
    await userWrites(from, '/help');
    await soon(() => expect(textsTo(from)).toHaveLength(1));
    expect(textsTo(from)[0]).toMatch(/\/reset/);

    await userWrites(from, 'first question');
    await soon(() => expect(textsTo(from)).toHaveLength(2));
    await userWrites(from, '/reset');
    await soon(() => expect(textsTo(from)).toHaveLength(3));
    await userWrites(from, 'second question');
    await soon(() => expect(textsTo(from)).toHaveLength(4));
    expect(textsTo(from)[3]).toBe('answer: second question (1 questions so far)');

    await userWrites(from, 'long answer please');
    // 12,500 characters: four messages, cut at the paragraph and then at spaces.
    await soon(() => expect(textsTo(from)).toHaveLength(8));
    const parts = textsTo(from).slice(4);
    expect(parts.every((part) => part.length <= 4096)).toBe(true);
    expect(parts.join(' ').split(/\s+/)).toHaveLength(2500);

    await userWrites(from, 'STOP');
    await soon(() => expect(textsTo(from).at(-1)).toMatch(/START/));
    const count = textsTo(from).length;
    const before = openai.requests.length;
    await userWrites(from, 'are you still there?');
    const repository = createWhatsAppRepository(server.parts.databases.prod.db);
    await soon(async () => expect((await repository.latestInbound(`+${from}`))?.outcome).toBe('ignored-opted-out'));
    expect(textsTo(from)).toHaveLength(count);
    expect(openai.requests.length).toBe(before);
  });

  it('apologises when the model refuses for good, instead of leaving the sender without an answer', slow, async () => {
    const from = '4915100000015';
    openai.setBehaviour({
      kind: 'error',
      status: 400,
      body: { error: { message: 'bad request', type: 'invalid_request_error' } },
    });
    try {
      await userWrites(from, 'hello?');
      await soon(() => expect(textsTo(from)).toHaveLength(1));
    } finally {
      openai.setBehaviour({ kind: 'ok' });
    }
    expect(textsTo(from)[0]).toMatch(/^Sorry, I cannot answer right now/);
    const repository = createWhatsAppRepository(server.parts.databases.prod.db);
    expect((await repository.latestInbound(`+${from}`))?.outcome).toBe('failed: SY_ERR_UPSTREAM_BAD_REQUEST');
  });

  it(
    'transcribes a voice note through the audio models, meters it like the audio API and answers it',
    slow,
    async () => {
      const from = '4915100000013';
      const formsBefore = audio.forms.length;
      const mediaId = await userSpeaks(from, spokenWav('what is the weather today'));
      await soon(() => expect(textsTo(from)).toHaveLength(1));
      expect(graph.requests.some((entry) => entry.path === `/media-download/${mediaId}`)).toBe(true);
      expect(textsTo(from)[0]).toBe('answer: what is the weather today (1 questions so far)');
      expect(audio.forms).toHaveLength(formsBefore + 1);
      // One usage row with the note's seconds, priced per audio minute, and the seconds off the sender's day.
      await server.parts.usage.flush();
      const rows = await createUsageRepository(server.parts.databases.prod.db).list({ limit: 1000 });
      const notes = rows.filter((row) => row.route === '/v1/whatsapp/webhook' && row.model === 'whisper-1');
      expect(notes).toHaveLength(1);
      const [note] = notes;
      expect(note).toMatchObject({ environment: 'prod', status: 200, apiKeyId: null });
      expect(note?.audioSeconds).toBeGreaterThan(0);
      expect(note?.costUsd).toBeCloseTo(((note?.audioSeconds ?? 0) / 60) * 0.6, 6);
      const day = await server.parts.audioQuota.status('prod', `whatsapp:+${from}`);
      expect(day.usedSeconds).toBe(Math.ceil(note?.audioSeconds ?? 0));
    },
  );

  it('refuses a voice note over the audio quota with a message, keeping the inbound message', slow, async () => {
    const from = '4915100000016';
    const formsBefore = audio.forms.length;
    const setQuota = (value: number) =>
      fetch(`${server.url}/v1/admin/settings/audio.max_minutes_per_day.prod`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ value }),
      });
    expect((await setQuota(0)).status).toBe(200);
    const repository = createWhatsAppRepository(server.parts.databases.prod.db);
    try {
      await userSpeaks(from, spokenWav('this one is over the quota'));
      await soon(async () =>
        expect((await repository.latestInbound(`+${from}`))?.outcome).toBe('audio-quota-exceeded'),
      );
    } finally {
      expect((await setQuota(60)).status).toBe(200);
    }
    expect(textsTo(from)).toEqual([
      'Sorry, you have used up today’s minutes for voice notes. Please write your question instead; ' +
        'voice notes work again after midnight (UTC).',
    ]);
    expect(audio.forms).toHaveLength(formsBefore);
    const inbound = await repository.latestInbound(`+${from}`);
    expect(inbound).toMatchObject({ kind: 'audio', text: null });
    expect(inbound?.handledAt).toBeInstanceOf(Date);
    // Refused like the audio API refuses: a 429 row, nothing counted.
    await server.parts.usage.flush();
    const rows = await createUsageRepository(server.parts.databases.prod.db).list({ limit: 1000 });
    const refused = rows.filter((row) => row.route === '/v1/whatsapp/webhook' && row.status === 429);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ audioSeconds: null, costUsd: 0 });
    expect((await server.parts.audioQuota.status('prod', `whatsapp:+${from}`)).usedSeconds).toBe(0);
  });
});

describe('metering the bot’s answers', () => {
  const rowsOf = async (from: string) => {
    await server.parts.usage.flush();
    const rows = await createUsageRepository(server.parts.databases.prod.db).list({ limit: 10_000 });
    return rows.filter((row) => row.subject === `whatsapp:+${from}` && row.model === 'smart');
  };

  it('writes a usage row per answer with its tokens and cost, for the sender', slow, async () => {
    const from = '4915100000031';
    await userWrites(from, 'How much does this answer cost?');
    await soon(() => expect(textsTo(from)).toHaveLength(1));
    const modelRequest = openai.requests.at(-1)?.body as { messages: unknown[] };
    expect(JSON.stringify(modelRequest.messages)).toContain('How much does this answer cost?');
    const rows = await soon(async () => {
      const found = await rowsOf(from);
      expect(found).toHaveLength(1);
      return found;
    });
    const [row] = rows;
    expect(row).toMatchObject({
      environment: 'prod',
      route: '/v1/whatsapp/webhook',
      status: 200,
      apiKeyId: null,
      userId: null,
      clientIp: null,
    });
    expect(row?.promptTokens).toBeGreaterThan(0);
    expect(row?.completionTokens).toBeGreaterThan(0);
    expect(row?.costUsd).toBeCloseTo(
      ((row?.promptTokens ?? 0) * 1_000 + (row?.completionTokens ?? 0) * 2_000) / 1_000_000,
      9,
    );
  });

  it('refuses politely once the sender’s budget is used up, and records the outcome', slow, async () => {
    const from = '4915100000032';
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // Senders are on the default plan, each number its own budget: one answer fits, the next does not.
    const created = await admin('POST', '/v1/admin/plans', {
      id: 'whatsapp-tight',
      name: 'Tight',
      token_budget: 5,
      budget_period: 'day',
      is_default: true,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const repository = createWhatsAppRepository(server.parts.databases.prod.db);
    try {
      await userWrites(from, 'first question');
      await soon(() => expect(textsTo(from)).toHaveLength(1));
      expect(textsTo(from)[0]).toBe('answer: first question (1 questions so far)');
      const modelRequests = openai.requests.length;
      await userWrites(from, 'second question');
      await soon(async () => expect((await repository.latestInbound(`+${from}`))?.outcome).toBe('budget-exceeded'));
      await soon(() => expect(textsTo(from)).toHaveLength(2));
      expect(textsTo(from)).toEqual([
        'answer: first question (1 questions so far)',
        'Sorry, your budget for answers is used up for now. Please try again after it resets.',
      ]);
      // The model was not asked; the refusal is a row that costs nothing, as a refused API request is.
      expect(openai.requests.length).toBe(modelRequests);
      const rows = await rowsOf(from);
      expect(rows.map((row) => row.status).sort()).toEqual([200, 402]);
      expect(rows.find((row) => row.status === 402)).toMatchObject({ costUsd: 0, promptTokens: null });
    } finally {
      expect((await admin('PATCH', '/v1/admin/plans/whatsapp-tight', { is_default: false })).status).toBe(200);
      expect((await admin('DELETE', '/v1/admin/plans/whatsapp-tight')).status).toBe(204);
    }
  });
});

describe('pictures', () => {
  it('go to the vision model with the caption', slow, async () => {
    const from = '4915100000014';
    graph.openWindow(from);
    const mediaId = graph.addMedia(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), 'image/jpeg');
    const response = await deliverWhatsAppWebhook(
      webhookUrl(),
      whatsappImageMessage({ phoneNumberId: prodNumber, from, mediaId, caption: 'What bird is this?' }),
      appSecret,
    );
    expect(response.status).toBe(200);
    await soon(() => expect(textsTo(from)).toHaveLength(1));
    const asked = openai.requests.find((entry) => JSON.stringify(entry.body).includes('What bird is this?'));
    const content = (asked?.body as { messages?: Array<{ content: unknown }> } | undefined)?.messages?.at(-1)?.content;
    expect(content).toEqual([
      { type: 'text', text: 'What bird is this?' },
      {
        type: 'image_url',
        image_url: {
          url: `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString('base64')}`,
        },
      },
    ]);
  });
});

describe('the admin console’s WhatsApp routes', () => {
  it('reports the webhook and queues a test message', slow, async () => {
    const status = await fetch(`${server.url}/v1/admin/whatsapp/status?environment=prod`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(status.status).toBe(200);
    const body = await readJson(status);
    expect(body).toMatchObject({
      environment: 'prod',
      configured: true,
      phone_number_id: prodNumber,
      dry_run: false,
      webhook: { verify_token_configured: true, signature_secret_configured: true },
      bot: { enabled: true, model: 'smart' },
    });
    expect(body.webhook.last_delivery_at).not.toBeNull();

    const test = await fetch(`${server.url}/v1/admin/whatsapp/test-message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ to: '+4915100000020', template: { name: 'hello_world', language: 'en_US' } }),
    });
    expect(test.status).toBe(202);
    await soon(() => expect(sentTo('4915100000020')).toHaveLength(1));
  });
});
