/// <reference lib="dom" />
import { join } from 'node:path';
import { type FakeOpenAIServer, startFakeOpenAI, testMcpServerPath } from '@switchyard/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, type E2eApp, e2eUnavailable, signUpInBrowser, startE2eApp } from './harness';

/**
 * End to end: a chat answer that uses an app. A real `switchyard start` with the testkit's MCP
 * server as the app `clock` and a fake OpenAI upstream scripted to call its `add` skill, driven
 * by Debian's chromium: the tool step appears in the answer with its result, and after a reload.
 */
type Message = { role: string; content: unknown };

describe.skipIf(e2eUnavailable())('web chat with apps end to end', () => {
  let upstream: FakeOpenAIServer;
  let app: E2eApp;
  let page: Page;

  beforeAll(async () => {
    // Asked a question, the model calls clock's add skill; given its result, it answers with it.
    upstream = await startFakeOpenAI({
      toolCalls: (request) =>
        (request.messages as Message[]).at(-1)?.role === 'user'
          ? [{ name: 'clock__add', arguments: { a: 2, b: 3 } }]
          : undefined,
      reply: (request) => {
        const results = (request.messages as Message[]).filter((message) => message.role === 'tool');
        return results.length > 0 ? `The sum is ${results.map((message) => message.content).join(', ')}.` : 'no tools';
      },
    });
    app = await startE2eApp({
      name: 'apps',
      config: {
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini', label: 'Smart' }],
        defaultModel: 'smart',
        apps: [
          {
            id: 'clock',
            name: 'Clock',
            type: 'mcp',
            command: [process.execPath, testMcpServerPath],
            focusModes: [{ id: 'maths', name: 'Maths', systemPrompt: 'You add numbers.', skills: ['add'] }],
          },
        ],
      },
    });
    page = app.page;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await upstream?.close();
  });

  it('shows the tool step with its result inside the answer, live and after a reload', async () => {
    await signUpInBrowser(page, app.server.url, {
      name: 'Tess',
      email: 'tess@example.com',
      password: 'a long password 789',
    });

    // Choose the app in the composer's picker, then ask.
    await page.getByRole('button', { name: 'Apps' }).click();
    await page.getByRole('checkbox', { name: /Clock/ }).check();
    await page.getByRole('button', { name: 'Apps (1)' }).waitFor();
    const started = page.waitForRequest((request) => request.url().endsWith('/api/chat/start'));
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('What is 2 + 3?');
    await page.getByRole('button', { name: 'Send' }).click();
    expect((await started).postDataJSON()).toMatchObject({ message: 'What is 2 + 3?', apps: ['clock'] });

    const answer = page.getByRole('article', { name: 'Assistant' }).last();
    await answer.getByText('The sum is 5.').waitFor({ timeout: 30_000 });
    const step = answer.getByRole('list', { name: 'Tool steps' }).getByRole('listitem');
    await expect.poll(() => step.count()).toBe(1);
    expect(await step.getAttribute('data-status')).toBe('ok');
    const summary = step.locator('summary');
    expect(await summary.innerText()).toContain('clock / add');
    expect(await summary.innerText()).toMatch(/ok\s*\d+(\.\d)? m?s/);
    // Once the answer is stored (Regenerate shows) the live steps give way to the stored ones: open those.
    await page.getByRole('button', { name: 'Regenerate' }).waitFor();
    // Collapsed until opened: then the input the model gave and the skill's output.
    await summary.click();
    // Opening renders the details: wait for what they show rather than read them at once.
    await expect.poll(() => step.locator('pre').first().innerText()).toContain('"a": 2');
    await expect.poll(() => step.locator('pre').last().innerText()).toBe('5');
    await page.screenshot({ path: join(artifacts, 'chat-tool-step.png') });

    // The steps are stored with the answer: a reload shows them again.
    await page.reload();
    const reloaded = page.getByRole('article', { name: 'Assistant' }).last();
    await reloaded.getByText('The sum is 5.').waitFor();
    const storedStep = reloaded.getByRole('list', { name: 'Tool steps' }).getByRole('listitem');
    expect(await storedStep.locator('summary').innerText()).toContain('clock / add');
    expect(await storedStep.getAttribute('data-status')).toBe('ok');
  });
});
