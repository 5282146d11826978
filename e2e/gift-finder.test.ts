/// <reference lib="dom" />
import { join } from 'node:path';
import { type FakeOpenAIServer, startFakeOpenAI } from '@switchyard/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MarketplaceFakes,
  type ScriptedGiftModel,
  scriptedGiftModel,
  startMarketplaceFakes,
} from '../apps/server/src/gift-finder/gift-finder-testing';
import type { CliServer } from '../apps/server/src/testing/cli-process';
import { artifacts, type E2eApp, e2eUnavailable, signUpInBrowser, startE2eApp } from './harness';

/**
 * End to end: the Gift finder page through a whole session on a real `switchyard start` (embedded
 * event bus), with the testkit's fake OpenAI-compatible model scripted for each step of the flow
 * (the gift finder's own script: two questions, a summary of a chess lover, a refusal of anything
 * about weapons) and the four marketplaces' protocol fakes, driven by Debian's chromium: the
 * interview as a chat, live progress, products, the final ranking, a reload, a refused request and
 * the consent rule.
 */
describe.skipIf(e2eUnavailable())('gift finder page end to end', () => {
  let app: E2eApp;
  let model: ScriptedGiftModel;
  let upstream: FakeOpenAIServer;
  let marketplaces: MarketplaceFakes;
  let server: CliServer;
  let page: Page;

  beforeAll(async () => {
    model = scriptedGiftModel();
    upstream = await startFakeOpenAI({ reply: (body) => model.reply(body) });
    marketplaces = await startMarketplaceFakes();
    app = await startE2eApp({
      name: 'gifts',
      config: {
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'gift-model', provider: 'fake', upstreamModel: 'gpt-4o-mini', label: 'Gifts' }],
        defaultModel: 'gift-model',
        marketplaces: marketplaces.config,
        giftFinder: { model: 'gift-model', maxQuestions: 3 },
      },
      pageOptions: { viewport: { width: 1280, height: 900 } },
    });
    ({ server, page } = app);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await upstream?.close();
    await marketplaces?.close();
  });

  it('interviews, shows live progress and products, ranks them, and reopens the session', async () => {
    await signUpInBrowser(page, server.url, {
      name: 'Gina',
      email: 'gina@example.com',
      password: 'a long password 246',
    });

    await page.getByRole('link', { name: 'Gift finder' }).click();
    await page.waitForURL('**/gifts');
    await page.getByLabel('Who is the gift for?').fill('my brother Tom');
    await page.getByLabel('Currency').selectOption('EUR');
    const created = page.waitForResponse(
      (response) => response.url().endsWith('/v1/apps/gift-finder/sessions') && response.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Start' }).click();
    expect((await created).status()).toBe(201);
    await page.waitForURL(/\/gifts\?session=/);
    const sessionId = new URL(page.url()).searchParams.get('session') ?? '';
    await page.getByRole('heading', { name: 'Gift for my brother Tom' }).waitFor();

    // The interview as a chat: each question arrives over the event stream; Enter sends the answer.
    const log = page.getByRole('log', { name: 'Interview messages' });
    await log.getByText('Question 1: tell me more?').waitFor({ timeout: 30_000 });
    const composer = page.getByRole('textbox', { name: 'Your answer' });
    await composer.fill('He plays chess every day.');
    await composer.press('Enter');
    await log.getByText('He plays chess every day.').waitFor();
    await log.getByText('Question 2: tell me more?').waitFor({ timeout: 30_000 });
    await composer.fill('Up to 60 euros.');
    await composer.press('Enter');

    // Live progress, then the ranked list.
    await page.locator('li[data-stage="interview"][data-status="completed"]').waitFor({ timeout: 30_000 });
    const ranked = page.getByRole('list', { name: 'Ranked gifts' });
    await ranked.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('session-status').innerText()).toBe('Ready');
    for (const stage of ['interview', 'ideas', 'fetch', 'rerank']) {
      expect(await page.locator(`li[data-stage="${stage}"]`).getAttribute('data-status')).toBe('completed');
    }
    expect(await page.locator('li[data-stage="profile"]').innerText()).toContain('skipped');
    const marketplaceRows = page.locator('li[data-marketplace]');
    expect(await marketplaceRows.count()).toBe(4);

    // The order is the server's ranking, best first, each card with its reason, price and link.
    const snapshot = (await (
      await page.request.get(`${server.url}/v1/apps/gift-finder/sessions/${encodeURIComponent(sessionId)}`)
    ).json()) as {
      session: {
        ranking: Array<{ product_id: string; reason: string }>;
        products: Array<{ id: string; title: string; price: number; currency: string; url: string }>;
      };
    };
    const byId = new Map(snapshot.session.products.map((product) => [product.id, product]));
    const expected = snapshot.session.ranking.map((entry) => byId.get(entry.product_id));
    expect(expected.length).toBeGreaterThan(1);
    const cards = ranked.getByRole('article');
    await expect.poll(() => cards.count()).toBe(expected.length);
    const titles = await cards.locator('h4').allInnerTexts();
    expect(titles.map((title) => title.replace(/^#\d+\s*/, ''))).toEqual(expected.map((product) => product?.title));
    const first = cards.first();
    expect(await first.innerText()).toContain(snapshot.session.ranking[0]?.reason ?? '');
    const best = expected[0];
    const price = await page.evaluate(
      ({ value, currency }) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value),
      { value: best?.price ?? 0, currency: best?.currency ?? 'EUR' },
    );
    expect(await first.getByTestId('price').innerText()).toBe(price);
    const link = first.getByRole('link');
    expect(await link.getAttribute('href')).toBe(best?.url);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect((await link.getAttribute('rel'))?.split(' ')).toContain('noopener');
    await page.screenshot({ path: join(artifacts, 'gift-finder.png'), fullPage: true });

    // A reload shows the finished session from the server; the past searches list it.
    await page.reload();
    await page.getByRole('list', { name: 'Ranked gifts' }).waitFor();
    const past = page.getByRole('navigation', { name: 'Past searches' });
    expect(await past.getByRole('link').first().innerText()).toContain('my brother Tom');
    expect(await past.getByRole('link').first().getAttribute('aria-current')).toBe('page');

    // The phone layout: one column, nothing wider than the screen; dark too.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('button', { name: 'Toggle dark mode' }).click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifacts, 'gift-finder-phone-dark.png'), fullPage: true });
    await page.getByRole('button', { name: 'Toggle dark mode' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 180_000);

  it('requires consent for profile text, and shows a refused request', async () => {
    await page.goto(`${server.url}/gifts`);
    await page.getByLabel('Who is the gift for?').fill('my neighbour');
    await page.getByLabel('About them (pasted text)').fill('Lives next door.');
    let posted = false;
    const watch = (request: { url(): string; method(): string }) => {
      if (request.method() === 'POST' && request.url().includes('/gift-finder/sessions')) posted = true;
    };
    page.on('request', watch);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('alert').getByText('Tick the consent box').waitFor();
    expect(posted).toBe(false);
    page.off('request', watch);

    await page.getByLabel('About them (pasted text)').fill('');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/gifts\?session=/);
    const log = page.getByRole('log', { name: 'Interview messages' });
    await log.getByText('Question 1: tell me more?').waitFor({ timeout: 30_000 });
    const composer = page.getByRole('textbox', { name: 'Your answer' });
    await composer.fill('A weapon, please.');
    await composer.press('Enter');
    const alert = page.getByRole('alert').filter({ hasText: 'The gift finder declined this request.' });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).toContain('I cannot help find weapons.');
    expect(await page.getByTestId('session-status').innerText()).toBe('Refused');
    expect(await page.getByRole('textbox', { name: 'Your answer' }).count()).toBe(0);
  }, 120_000);
});
