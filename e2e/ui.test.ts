/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, runCli, startCliServer } from '../apps/server/src/testing/cli-process';
import { chromiumArgs, chromiumPath } from './chromium';

/**
 * End to end: a real `switchyard start` on the embedded defaults, driven by Debian's chromium.
 * Screenshots of each main screen go to e2e/artifacts/ (git-ignored).
 */
const hasChromium = existsSync(chromiumPath);
const hasBuild = existsSync(join(import.meta.dirname, '../apps/web/dist/index.html'));
if (!hasChromium) console.warn(`e2e skipped: ${chromiumPath} is missing (apt-get install -y chromium)`);
if (!hasBuild) console.warn('e2e skipped: apps/web/dist is missing (npm run build -w @switchyard/web)');

const artifacts = join(import.meta.dirname, 'artifacts');
const admin = { email: 'admin@example.com', password: 'a long password 123' };

describe.skipIf(!hasChromium || !hasBuild)('web app end to end', () => {
  let dataDir: string;
  let server: CliServer;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-e2e-'));
    const variables = { SWITCHYARD_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    // `slow` answers a word every 150 ms: slow enough to press Stop in the middle of an answer.
    await writeFile(
      join(dataDir, 'switchyard.config.yaml'),
      JSON.stringify({
        ollama: { autodetect: false },
        providers: [{ id: 'slow-echo', type: 'echo', echoDelayMs: 150 }],
        models: [{ id: 'slow', provider: 'slow-echo', label: 'Slow' }],
      }),
    );
    const created = await runCli(['admin', 'create', '--email', admin.email, '--password', admin.password], {
      cwd: dataDir,
      variables,
    });
    expect(created.code, created.stderr).toBe(0);
    server = await startCliServer(['start'], { cwd: dataDir, variables });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('signs up, chats through the server store, survives a reload, attaches, templates, stops and shares', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Switchyard' }).waitFor();
    // From the first visit of a fresh start: /ready is ready once the prod database is open (the dev
    // database opens on first use); a loaded CI runner can still take long, hence the generous bound.
    await page.getByTestId('readiness').getByText('ready', { exact: true }).waitFor({ timeout: 90_000 });
    await shot('landing');

    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('another long password 456');
    await shot('sign-up');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/chat');

    // Sent with POST /api/chat/start, streamed from GET /api/chat/stream.
    const started = page.waitForResponse((response) => response.url().endsWith('/api/chat/start'));
    const composer = page.getByLabel('Message', { exact: true });
    await page.getByLabel('Model').selectOption('echo');
    await composer.fill('Hello **streaming** world');
    // Enter sends (Shift+Enter would add a line).
    await composer.press('Enter');
    expect((await started).status()).toBe(201);
    const answers = page.getByRole('article', { name: 'Assistant' });
    await answers.getByText('streaming').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Regenerate' }).waitFor();
    expect(await answers.last().innerText()).toContain('world');
    await expect.poll(() => new URL(page.url()).searchParams.get('chat')).toMatch(/^chat_/);
    await shot('chat');

    // The conversation is on the server: a reload (nothing in localStorage) shows it again.
    expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.includes('conversation')))).toEqual(
      [],
    );
    await page.reload();
    await page.getByRole('article', { name: 'You' }).getByText('Hello **streaming** world').waitFor();
    expect(await answers.last().innerText()).toContain('world');
    // The title is the first message without its Markdown.
    await page.getByRole('navigation', { name: 'Conversations' }).getByText('Hello streaming world').waitFor();

    // Rename from the sidebar (the ⋯ menu by keyboard); the new title survives a reload too.
    const actions = page.getByRole('button', { name: 'Actions for Hello streaming world' });
    await actions.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Rename');
    await page.keyboard.press('Escape');
    await expect.poll(() => actions.evaluate((element) => element === document.activeElement)).toBe(true);
    await actions.click();
    await page.getByRole('menuitem', { name: 'Rename Hello streaming world' }).click();
    await page.getByLabel('New title').fill('Greetings');
    await page.getByLabel('New title').press('Enter');
    await page.getByRole('button', { name: 'Greetings', exact: true }).waitFor();

    // Conversations an older version left in localStorage move to the account on the next visit.
    await page.evaluate(() => {
      localStorage.setItem(
        'switchyard.conversations',
        JSON.stringify([{ id: 'old1', title: 'From before', pinned: false, updatedAt: 1 }]),
      );
      localStorage.setItem(
        'switchyard.conversation.old1',
        JSON.stringify([
          { id: 'a', role: 'user', content: 'an old question' },
          { id: 'b', role: 'assistant', content: 'an old answer' },
        ]),
      );
    });
    await page.reload();
    await page.getByText('Moved 1 conversation from this browser to your account.').waitFor();
    await page.getByRole('navigation', { name: 'Conversations' }).getByText('From before').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('switchyard.conversations'))).toBeNull();
    await page.getByRole('article', { name: 'You' }).getByText('Hello **streaming** world').waitFor();

    // Attach a text file, wait until its text is extracted, send with it: the echo model repeats what it was given.
    const notes = join(dataDir, 'notes.txt');
    await writeFile(notes, 'The secret word is pineapple.\n');
    await page.getByTestId('attach-input').setInputFiles(notes);
    await page.getByRole('list', { name: 'Attachments' }).getByText('Ready').waitFor({ timeout: 30_000 });
    await shot('chat-attachment');
    await composer.fill('What does the file say?');
    await page.getByRole('button', { name: 'Send' }).click();
    await answers.last().getByText('pineapple').waitFor({ timeout: 20_000 });
    await page.getByRole('list', { name: 'Attached files' }).getByText('notes.txt').waitFor();
    await page.getByRole('button', { name: 'Regenerate' }).waitFor();

    // Search finds message content on the server; a hit opens its chat.
    await page.getByLabel('Search conversations').fill('pineapple');
    await page.getByRole('navigation', { name: 'Conversations' }).getByText('In messages').waitFor();
    await page
      .getByRole('navigation', { name: 'Conversations' })
      .getByText(/secret word is pineapple/)
      .first()
      .click();
    await page.getByLabel('Search conversations').fill('');

    // A template with a variable, filled in and inserted into the draft.
    await page.getByRole('button', { name: 'Templates' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Translate');
    await page.getByLabel('Template text').fill('Translate into {{language}}: good morning');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('button', { name: 'Use template Translate' }).click();
    await page.getByLabel('language').fill('French');
    await shot('chat-template');
    await page.getByRole('button', { name: 'Insert' }).click();
    await expect.poll(() => composer.inputValue(), { timeout: 20_000 }).toBe('Translate into French: good morning');
    await page.getByRole('button', { name: 'Send' }).click();
    await answers.last().getByText('Translate into French').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Regenerate' }).waitFor();

    // Stop: the slow model answers a word every 150 ms; the partial answer stays, marked partial, also after a reload.
    await page.getByLabel('Model').selectOption('slow');
    await composer.fill(Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '));
    await page.getByRole('button', { name: 'Send' }).click();
    await answers.last().getByText('word3').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await answers.last().getByText('Partial answer').waitFor({ timeout: 20_000 });
    const partial = await answers.last().innerText();
    expect(partial).not.toContain('word59');
    await shot('chat-stopped');
    await page.reload();
    await answers.last().getByText('Partial answer').waitFor();
    expect(await answers.last().innerText()).not.toContain('word59');

    // The connection drops mid-answer (the first stream's body is cut inside an event, before
    // `done`): the client reconnects with Last-Event-ID and the answer ends up whole, every word
    // once, in order.
    let cut = false;
    let resumedWith: string | null = null;
    await page.route('**/api/chat/stream?*', async (route) => {
      if (cut) {
        resumedWith = (await route.request().allHeaders())['last-event-id'] ?? null;
        return route.continue();
      }
      cut = true;
      const response = await route.fetch();
      const events = (await response.text()).split('\n\n');
      await route.fulfill({ response, body: `${events.slice(0, 8).join('\n\n')}\n\n${events[8]?.slice(0, 12) ?? ''}` });
    });
    const words = Array.from({ length: 20 }, (_, i) => `part${i}`).join(' ');
    await composer.fill(words);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Connection lost, reconnecting…').waitFor({ timeout: 20_000 });
    await shot('chat-reconnecting');
    await page.getByRole('button', { name: 'Regenerate' }).waitFor({ timeout: 30_000 });
    await page.unroute('**/api/chat/stream?*');
    expect(resumedWith).toMatch(/^\d+$/);
    const resumed = (await answers.last().innerText()).replace(/\s+/g, ' ');
    expect(resumed).toContain(words);
    expect(resumed.split('part19').length).toBe(2);

    // Share: create a link that opens without an account, then revoke it.
    await page.getByRole('button', { name: 'Share' }).click();
    await page.getByRole('button', { name: 'Create link' }).click();
    const link = await page.getByLabel('Share link').inputValue();
    expect(link).toMatch(/\/share\/[\w-]{20,}$/);
    await shot('chat-share');
    const token = link.split('/').at(-1) ?? '';
    // A fresh context: no session cookie, as someone the link was sent to.
    const stranger = await browser.newContext();
    const anonymous = await stranger.newPage();
    expect((await anonymous.goto(link))?.status()).toBe(200);
    await anonymous.getByRole('heading', { name: 'Greetings' }).waitFor();
    expect(await anonymous.getByRole('article', { name: 'Assistant' }).count()).toBeGreaterThanOrEqual(4);
    await anonymous.screenshot({ path: join(artifacts, 'shared-chat.png') });
    await page.getByRole('button', { name: 'Revoke all links' }).click();
    await page.getByText('1 link revoked.').waitFor();
    expect((await anonymous.goto(`${new URL(link).origin}/api/share/${token}`))?.status()).toBe(404);
    await anonymous.goto(link);
    await anonymous.getByText('The link may have been revoked').waitFor();
    await stranger.close();

    // Export as Markdown (a download).
    await page.getByRole('button', { name: 'Export' }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download Markdown' }).click(),
    ]);
    const markdown = await readFile((await download.path()) ?? '', 'utf8');
    expect(markdown).toContain('# Greetings');
    expect(markdown).toContain('pineapple');

    await page.setViewportSize({ width: 390, height: 800 });
    await shot('chat-phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('tab', { name: 'Images' }).click();
    await page.getByLabel('Image prompt').fill('a red square');
    await page.getByRole('button', { name: 'Generate' }).click();
    const image = page.getByRole('img', { name: 'a red square' });
    await image.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('img[alt="a red square"]') as HTMLImageElement)?.complete);
    expect(await image.evaluate((element: HTMLImageElement) => element.naturalWidth)).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('image-quota').innerText()).toContain('9 of 10');
    await shot('images');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).first().waitFor();
  }, 240_000);

  it('as admin: creates a dev key, changes a rate limit and sees usage', async () => {
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).last().click();
    await page.waitForURL('**/chat');
    await page.getByRole('link', { name: 'Admin' }).click();

    await page.getByRole('tab', { name: 'Keys' }).click();
    await page.getByLabel('Key name').fill('e2e dev key');
    await page.getByLabel('Key environment').selectOption('dev');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').innerText()).trim();
    expect(key).toMatch(/^dev_/);
    await page.getByRole('cell', { name: 'e2e dev key', exact: true }).waitFor();
    await shot('admin-keys');

    await page.getByRole('tab', { name: 'Settings' }).click();
    const limit = page.getByLabel('rate_limit.chat.dev', { exact: true });
    await limit.fill('30');
    await page.getByRole('button', { name: 'Save rate_limit.chat.dev' }).click();
    // The row's own status, not the header's "Saved searches" link (which would match at once).
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved$/ })
      .waitFor();
    await expect.poll(() => page.getByLabel('rate_limit.chat.dev', { exact: true }).inputValue()).toBe('30');
    await page.getByLabel('rate_limit.chat.dev', { exact: true }).fill('-5');
    await page.getByRole('button', { name: 'Save rate_limit.chat.dev' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid input' }).first().waitFor();
    await shot('admin-settings');

    const chat = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'echo', message: 'usage please' }),
    });
    expect(chat.status).toBe(200);
    expect(chat.headers.get('x-ratelimit-limit')).toBe('30');

    await page.getByRole('tab', { name: 'Usage' }).click();
    await page.getByLabel('Environment').selectOption('dev');
    await expect
      .poll(() => page.getByTestId('usage-totals').innerText(), { timeout: 20_000 })
      .toMatch(/Requests\s+1\b/);
    await page.getByRole('cell', { name: 'echo', exact: true }).waitFor();
    await shot('admin-usage');

    for (const tab of ['Users', 'Jobs', 'Health']) {
      await page.getByRole('tab', { name: tab }).click();
      await page.waitForTimeout(300);
      await shot(`admin-${tab.toLowerCase()}`);
    }
  }, 120_000);
  it('answers with GFM and meta; settings: own key created and revoked, language, send key, theme', async () => {
    // Still signed in as the admin from the test before.
    await page.goto(`${server.url}/chat`);
    const composer = page.getByLabel('Message', { exact: true });
    await page.getByLabel('Model').selectOption('echo');
    await composer.fill('| Model | Speed |');
    await composer.press('Shift+Enter');
    await expect.poll(() => composer.inputValue()).toBe('| Model | Speed |\n');
    await composer.pressSequentially('| --- | ---: |');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('| echo | ~~slow~~ fast |');
    await composer.press('Shift+Enter');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('Euler: $e^{i\\pi} + 1 = 0$');
    await composer.press('Enter');
    const answer = page.getByRole('article', { name: 'Assistant' }).last();
    await answer.getByRole('table').getByRole('cell', { name: 'echo', exact: true }).waitFor({ timeout: 20_000 });
    expect(await answer.locator('del').innerText()).toBe('slow');
    // KaTeX arrives as its own chunk once an answer holds math, and draws the formula.
    await answer.locator('.katex').first().waitFor({ timeout: 20_000 });
    await answer.getByTestId('message-meta').getByText('echo').waitFor();
    await answer.getByRole('button', { name: 'Copy answer' }).waitFor();
    await shot('chat-gfm');

    // Settings: an own API key with chosen scopes, shown once, then revoked after confirming.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    const keys = page.getByRole('region', { name: 'API keys' });
    await keys.getByLabel('Name').fill('e2e own key');
    await keys.getByLabel('Environment').selectOption('dev');
    await keys.getByLabel('apps').uncheck();
    await keys.getByRole('button', { name: 'Create key' }).click();
    const secret = (await keys.getByTestId('new-account-key').innerText()).trim();
    expect(secret).toMatch(/^dev_/);
    const status = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${secret}` } });
    expect(status.status).toBe(200);
    await keys.getByRole('button', { name: 'Done' }).click();
    await keys.getByRole('cell', { name: 'e2e own key', exact: true }).waitFor();
    await shot('settings');
    await page.setViewportSize({ width: 390, height: 800 });
    // At phone width each key is a card: its Revoke button is on screen, not cut off to the right.
    const revoke = keys.getByRole('button', { name: 'Revoke e2e own key' });
    const box = await revoke.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(390);
    // Nothing widens the page (the header scrolls inside itself); on failure, name what sticks out.
    const wide = await page.evaluate(() =>
      Array.from(document.querySelectorAll('main *'))
        .filter((element) => element.getBoundingClientRect().right > 391)
        .map((element) => `${element.tagName}.${element.className}`)
        .slice(0, 10),
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth), wide.join('\n')).toBeLessThanOrEqual(390);
    await shot('settings-phone');
    await revoke.click();
    await keys.getByRole('button', { name: 'Confirm revoking e2e own key' }).click();
    await keys.getByRole('cell', { name: 'e2e own key', exact: true }).waitFor({ state: 'detached' });
    // The key cache hears of the revocation through the change channel: refused within moments.
    await expect
      .poll(
        async () => (await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${secret}` } })).status,
      )
      .toBe(401);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Dark theme, then Polish: the whole app switches, and stays switched after a reload.
    await page.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    await shot('settings-dark');
    await page.getByLabel('Language').selectOption('pl');
    await page.getByRole('heading', { name: 'Ustawienia', level: 1 }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Ustawienia', level: 1 }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('pl');
    await page.getByRole('link', { name: 'Czat' }).waitFor();
    await shot('settings-polish');

    // Ctrl+Enter mode: Enter makes a new line, Ctrl+Enter sends.
    await page.getByLabel('Ctrl+Enter wysyła, Enter zaczyna nowy wiersz').check();
    await page.getByRole('link', { name: 'Czat' }).click();
    const polishComposer = page.getByLabel('Wiadomość', { exact: true });
    await polishComposer.fill('first line');
    await polishComposer.press('Enter');
    await expect.poll(() => polishComposer.inputValue()).toBe('first line\n');
    await polishComposer.press('Control+Enter');
    await expect.poll(() => polishComposer.inputValue()).toBe('');

    // Back to English and the light theme for whatever runs next.
    await page.evaluate(() => localStorage.clear());
  }, 120_000);
});
