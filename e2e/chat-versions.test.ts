/// <reference lib="dom" />
import { join } from 'node:path';
import { type FakeOpenAIServer, startFakeOpenAI } from '@switchyard/testkit';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, type E2eApp, e2eUnavailable, signUpInBrowser, startE2eApp } from './harness';

/**
 * End to end in Chromium, one `switchyard start` for all: answer versions (regenerate, the "2/2"
 * switcher, switching back, after a reload), compare mode (two models side by side, keep one) and
 * attaching a file by dropping it on the chat (a real drop event with a DataTransfer). The models
 * answer through a fake OpenAI upstream that numbers its answers, so every version is told apart.
 */
type Message = { role: string; content: unknown };

describe.skipIf(e2eUnavailable())('chat versions, compare and drop-to-attach end to end', () => {
  let upstream: FakeOpenAIServer;
  let app: E2eApp;
  let page: Page;
  let answers = 0;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({
      models: ['alpha-up', 'beta-up'],
      reply: (request) => {
        answers += 1;
        return `Answer ${answers} from ${String(request.model)}`;
      },
    });
    app = await startE2eApp({
      name: 'versions',
      config: {
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [
          { id: 'alpha', provider: 'fake', upstreamModel: 'alpha-up' },
          { id: 'beta', provider: 'fake', upstreamModel: 'beta-up' },
        ],
        defaultModel: 'alpha',
      },
    });
    page = app.page;
    await signUpInBrowser(page, app.server.url, {
      name: 'Vera',
      email: 'vera@example.com',
      password: 'a long password 456',
    });
  }, 120_000);

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await page.screenshot({ path: join(artifacts, `chat-versions-failed-${context.task.name.slice(0, 20)}.png`) });
    }
  });

  afterAll(async () => {
    await app?.close();
    await upstream?.close();
  });

  const composer = () => page.getByLabel('Message', { exact: true });
  const lastAnswer = () => page.getByRole('article', { name: 'Assistant' }).last();
  const versions = () => lastAnswer().getByRole('group', { name: 'Versions' });

  async function ask(text: string) {
    await composer().fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  it('regenerates into a second version, switches back to the first, and keeps it after a reload', async () => {
    await ask('First question');
    await lastAnswer().getByText('Answer 1 from alpha-up').waitFor({ timeout: 30_000 });
    await lastAnswer().getByRole('button', { name: 'Regenerate' }).click();
    await lastAnswer().getByText('Answer 2 from alpha-up').waitFor({ timeout: 30_000 });
    await expect.poll(() => versions().innerText()).toContain('2/2');

    await versions().getByRole('button', { name: 'Previous version' }).click();
    await lastAnswer().getByText('Answer 1 from alpha-up').waitFor();
    await expect.poll(() => versions().innerText()).toContain('1/2');

    // The version shown is the chat's branch on the server: a reload shows it again.
    await page.reload();
    await lastAnswer().getByText('Answer 1 from alpha-up').waitFor();
    await expect.poll(() => versions().innerText()).toContain('1/2');
    expect(await page.getByText('Answer 2 from alpha-up').count()).toBe(0);
  });

  it('compares two models side by side and continues from the answer kept', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByRole('checkbox', { name: 'alpha' }).check();
    await page.getByRole('checkbox', { name: 'beta' }).check();
    await ask('Which is better?');

    const compared = page.getByRole('region', { name: 'Compared answers' });
    const alpha = compared.getByRole('article', { name: 'Answer from alpha' });
    const beta = compared.getByRole('article', { name: 'Answer from beta' });
    await alpha.getByText(/from alpha-up/).waitFor({ timeout: 30_000 });
    await beta.getByText(/from beta-up/).waitFor({ timeout: 30_000 });
    const betaText = (await beta.getByText(/from beta-up/).innerText()).trim();
    await page.screenshot({ path: join(artifacts, 'chat-compare.png') });

    await beta.getByRole('button', { name: 'Keep this answer' }).click();
    await lastAnswer().getByText(betaText).waitFor();
    // The other answer stays as a version of it.
    await expect.poll(() => versions().innerText()).toMatch(/\d\/2/);
    await page.reload();
    await lastAnswer().getByText(betaText).waitFor();
  });

  it('attaches a file dropped on the chat and sends its text with the question', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    const compareToggle = page.getByRole('button', { name: 'Compare', exact: true });
    if ((await compareToggle.getAttribute('aria-pressed')) === 'true') await compareToggle.click();
    // A real drop: Chromium's DragEvent with a DataTransfer holding a File, on the conversation area.
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['The harbour opens at dawn.'], 'harbour.txt', { type: 'text/plain' }));
      const target = document.querySelector('section[aria-label="Chat"]') as HTMLElement;
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: transfer }));
      target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
    });
    const attachment = page.getByRole('list', { name: 'Attachments' }).getByRole('listitem');
    await attachment.getByText('harbour.txt').waitFor();
    await expect.poll(() => attachment.getAttribute('data-status'), { timeout: 30_000 }).toBe('ready');

    await ask('When does the harbour open?');
    await lastAnswer()
      .getByText(/from alpha-up/)
      .waitFor({ timeout: 30_000 });
    const question = page.getByRole('article', { name: 'You' }).last();
    await question.getByText('harbour.txt').waitFor();
    const sent = upstream.requests.at(-1)?.body as { messages: Message[] };
    expect(JSON.stringify(sent.messages)).toContain('The harbour opens at dawn.');
  });

  it('posts an image made in the Images panel into the chat and lists it in the gallery', async () => {
    await page.getByRole('tab', { name: 'Images' }).click();
    await page.getByLabel('Image prompt').fill('a lighthouse');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByText('Posted into the chat.').waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: 'Chat' }).click();
    // Inline in the answer, loaded from this origin (the Content-Security-Policy allows nothing else).
    const inline = lastAnswer().getByRole('img', { name: 'a lighthouse' });
    await inline.waitFor();
    await expect.poll(() => inline.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Gallery' }).first().click();
    const tile = page.getByRole('listitem').filter({ has: page.getByRole('img', { name: 'a lighthouse' }) });
    await tile.waitFor();
    await tile.getByRole('link', { name: 'Open chat' }).click();
    await page.waitForURL('**/chat?chat=*');
    await lastAnswer().getByRole('img', { name: 'a lighthouse' }).waitFor();
  });

  it('opens a long chat at its newest messages, answers after them, and loads the older ones on scrolling up', async () => {
    const origin = app.server.url;
    const imported = await page.request.post(`${origin}/api/chats/import`, {
      headers: { origin },
      data: {
        chats: [
          {
            title: 'A long chat',
            messages: Array.from({ length: 250 }, (_, i) => ({
              role: i % 2 ? 'assistant' : 'user',
              content: `Long message ${i}`,
            })),
          },
        ],
      },
    });
    expect(imported.status()).toBe(201);
    const chatId = ((await imported.json()) as { chatIds: string[] }).chatIds[0];
    await page.goto(`${origin}/chat?chat=${chatId}`);
    const list = page.getByTestId('message-list');
    await list.getByText('Long message 249', { exact: true }).waitFor();
    // Only the newest 100 are loaded.
    await expect.poll(() => list.getAttribute('data-older')).toBe('150');
    // A question asked with the older messages not loaded goes after message 249; the stored
    // answer replaces the live one, once.
    await ask('After the long chat');
    await lastAnswer()
      .getByText(/Answer \d+ from alpha-up/)
      .waitFor({ timeout: 30_000 });
    await expect.poll(() => list.getByText('After the long chat', { exact: true }).count()).toBe(1);
    expect(await list.getAttribute('data-older')).toBe('150');

    // Scrolling to the top loads the older pages (200 at a time), the view staying put.
    for (let i = 0; i < 5 && (await list.getAttribute('data-older')) !== '0'; i++) {
      const before = await list.getAttribute('data-older');
      await list.evaluate((element) => {
        element.scrollTop = 0;
      });
      await expect.poll(() => list.getAttribute('data-older')).not.toBe(before);
    }
    expect(await list.getAttribute('data-older')).toBe('0');
    await list.evaluate((element) => {
      element.scrollTop = 0;
    });
    await list.getByText('Long message 0', { exact: true }).waitFor();

    await page.reload();
    await list.getByText('After the long chat', { exact: true }).waitFor();
    await expect.poll(() => list.getAttribute('data-older')).toBe('152');
    const messages = await page.request.get(`${origin}/api/chats/${chatId}/messages?from=end&limit=3`);
    const body = (await messages.json()) as { total: number; messages: Array<{ content: string }> };
    expect(body.total).toBe(252);
    expect(body.messages.map((message) => message.content).slice(0, 2)).toEqual([
      'Long message 249',
      'After the long chat',
    ]);
  }, 90_000);

  it('draws a chat with the document before the app runs, and the app takes over without asking again', async () => {
    const origin = app.server.url;
    // The app wrote its view (language, the browser's time zone, project) on the pages before.
    const view = (await page.context().cookies(origin)).find((cookie) => cookie.name === 'switchyard.view');
    expect(JSON.parse(decodeURIComponent(view?.value ?? '{}'))).toMatchObject({ language: 'en', project: null });
    const imported = await page.request.post(`${origin}/api/chats/import`, {
      headers: { origin },
      data: {
        chats: [
          {
            title: 'Drawn by the server',
            messages: Array.from({ length: 150 }, (_, i) => ({
              role: i % 2 ? 'assistant' : 'user',
              content: i % 2 ? `Drawn answer ${i} with **bold**` : `Drawn question ${i}`,
            })),
          },
        ],
      },
    });
    expect(imported.status()).toBe(201);
    const chatId = ((await imported.json()) as { chatIds: string[] }).chatIds[0];

    // Without the app's code, what the server drew is what the reader sees: the newest message in view.
    const scripts = (url: URL) => url.pathname.startsWith('/assets/') && url.pathname.endsWith('.js');
    const bare = page;
    await bare.route(scripts, (route) => route.abort());
    try {
      await bare.goto(`${origin}/chat?chat=${chatId}`);
      const drawn = bare.locator('[data-first-screen]');
      const newest = drawn.getByText('Drawn answer 149 with', { exact: false });
      await newest.waitFor();
      const box = await newest.boundingBox();
      expect(box && box.y + box.height).toBeLessThanOrEqual(800);
      expect(await drawn.locator('strong', { hasText: 'bold' }).count()).toBeGreaterThan(0);
      expect(await drawn.getByTestId('conversation-list').getByText('Drawn by the server').count()).toBe(1);
      // Nothing in it can be used before the app is there: it is inert (no focus, no clicks).
      expect(await drawn.evaluate((element) => (element as HTMLElement).inert)).toBe(true);
      await bare.keyboard.press('Tab');
      expect(await bare.evaluate(() => document.activeElement?.closest('[data-first-screen]') ?? null)).toBeNull();
      await bare.screenshot({ path: join(artifacts, 'first-screen-drawn-by-the-server.png') });
    } finally {
      await bare.unroute(scripts);
    }

    // With it: the page sends none of the three requests the server answered, and its own list replaces the drawing.
    const asked: string[] = [];
    const record = (request: { url(): string }) => {
      const url = new URL(request.url());
      asked.push(`${url.pathname}${url.search}`);
    };
    page.on('request', record);
    try {
      await page.goto(`${origin}/chat?chat=${chatId}`);
      await page.waitForFunction(
        () =>
          !document.querySelector('[data-first-screen]') &&
          document.querySelector('[data-testid="message-list"] article') !== null,
      );
      await page.getByTestId('message-list').getByText('Drawn answer 149 with', { exact: false }).waitFor();
      expect(
        asked.filter((path) => path === '/api/me' || path.startsWith('/api/chats?') || path.includes('/messages')),
      ).toEqual([]);
    } finally {
      page.off('request', record);
    }
  }, 90_000);
});
