import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withGeneratedImages } from '../conversations/chat-sessions';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/** Images made in a chat and the gallery, against one server with the built-in test-image model. */
let server: TestServer;
let alice: Browser;
let bob: Browser;
const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

beforeAll(async () => {
  server = await startTestServer({ config: { ollama: { autodetect: false } } });
  alice = (await signUpUser(server.url, 'painter')).browser;
  bob = (await signUpUser(server.url, 'onlooker')).browser;
});

afterAll(async () => {
  await server?.destroy();
});

async function newChat(browser: Browser): Promise<string> {
  const response = await browser.post('/api/chats', { title: 'Pictures' });
  expect(response.status).toBe(201);
  return (await readJson(response)).id;
}

async function drawIn(browser: Browser, chatId: string, prompt: string) {
  return browser.post(`/api/chats/${chatId}/images`, { prompt, width: 256, height: 256 });
}

describe('images in a chat', () => {
  it('posts the prompt and the image into the chat, served to its owner only', async () => {
    const chatId = await newChat(alice);
    const response = await drawIn(alice, chatId, 'a red [kite]');
    expect(response.status).toBe(201);
    const { image, messageIds } = await readJson(response);
    expect(image).toMatchObject({ prompt: 'a red [kite]', model: 'test-image', width: 256, height: 256, chatId });
    expect(image.url).toBe(`/v1/image/${image.id}/content`);

    const messages = (await readJson(await alice.get(`/api/chats/${chatId}/messages`))).messages;
    expect(messages.map((message: { id: string }) => message.id)).toEqual(messageIds);
    expect(messages[0]).toMatchObject({ role: 'user', content: 'a red [kite]' });
    // The alt text cannot end the Markdown image early.
    expect(messages[1]).toMatchObject({
      role: 'assistant',
      content: `![a red kite](${image.url})`,
      model: 'test-image',
    });

    const content = await alice.get(image.url);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await content.arrayBuffer()).subarray(0, 8)).toEqual(pngSignature);
    expect((await bob.get(image.url)).status).toBe(404);
  });

  it("answers 404 for another user's chat and 400 for an empty prompt", async () => {
    const chatId = await newChat(alice);
    const foreign = await drawIn(bob, chatId, 'not mine');
    expect(foreign.status).toBe(404);
    expect((await readJson(foreign)).error.code).toBe('SY_ERR_NOT_FOUND');
    const empty = await drawIn(alice, chatId, '');
    expect(empty.status).toBe(400);
    expect((await readJson(empty)).error.code).toBe('SY_ERR_VALIDATION');
    expect((await readJson(await alice.get(`/api/chats/${chatId}/messages`))).messages).toEqual([]);
  });
});

describe('the gallery', () => {
  it('lists only your own images, newest first, in pages; deletes only yours', async () => {
    const painter = (await signUpUser(server.url, 'gallery')).browser;
    const chatId = await newChat(painter);
    const ids: string[] = [];
    for (const prompt of ['one', 'two', 'three']) {
      ids.push((await readJson(await drawIn(painter, chatId, prompt))).image.id);
    }
    await drawIn(bob, await newChat(bob), 'bob draws');

    const first = await readJson(await painter.get('/api/images?limit=2'));
    expect(first).toMatchObject({ limit: 2, offset: 0 });
    expect(first.images.map((image: { prompt: string }) => image.prompt)).toEqual(['three', 'two']);
    expect(first.images[0]).toMatchObject({ chatId, url: `/v1/image/${ids[2]}/content` });
    const second = await readJson(await painter.get('/api/images?limit=2&offset=2'));
    expect(second.images.map((image: { prompt: string }) => image.prompt)).toEqual(['one']);
    expect((await painter.get('/api/images?limit=0')).status).toBe(400);

    // Bob can neither delete nor see the painter's image.
    const foreign = await bob.request('DELETE', `/api/images/${ids[0]}`);
    expect(foreign.status).toBe(404);
    expect((await readJson(foreign)).error.code).toBe('SY_ERR_NOT_FOUND');
    expect(
      (await readJson(await bob.get('/api/images'))).images.map((image: { prompt: string }) => image.prompt),
    ).toEqual(['bob draws']);

    expect((await painter.request('DELETE', `/api/images/${ids[0]}`)).status).toBe(204);
    expect((await painter.get(`/v1/image/${ids[0]}/content`)).status).toBe(404);
    expect((await painter.request('DELETE', `/api/images/${ids[0]}`)).status).toBe(404);
    const left = await readJson(await painter.get('/api/images'));
    expect(left.images.map((image: { prompt: string }) => image.prompt)).toEqual(['three', 'two']);
  });

  it('needs a signed-in user', async () => {
    expect((await fetch(`${server.url}/api/images`)).status).toBe(401);
  });
});

describe('images the images app made while answering', () => {
  const step = (output: string, isError = false) => ({
    id: 'call_1',
    app: 'images',
    skill: 'generate',
    input: { prompt: 'a [blue] boat' },
    output,
    isError,
    durationMs: 5,
  });

  it('adds each image the answer does not show, by its same-origin path', () => {
    const output = 'Image ready: https://sy.example/v1/image/img_abc123/content\nid img_abc123';
    expect(withGeneratedImages('Here it is.', [step(output)])).toBe(
      'Here it is.\n\n![a blue boat](/v1/image/img_abc123/content)',
    );
    expect(withGeneratedImages('![boat](/v1/image/img_abc123/content)', [step(output)])).toBe(
      '![boat](/v1/image/img_abc123/content)',
    );
    expect(withGeneratedImages('No luck.', [step('The image could not be made', true)])).toBe('No luck.');
  });
});
