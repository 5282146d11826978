/// <reference lib="dom" />
import { join } from 'node:path';
import { type FakeUpstreamServer, startFakeSearxng } from '@switchyard/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliServer } from '../apps/server/src/testing/cli-process';
import { artifacts, type E2eApp, e2eUnavailable, signUpInBrowser, startE2eApp } from './harness';

/**
 * The Saved searches page in a real browser, on a real `switchyard start` whose web search is the
 * testkit's SearXNG fake: a search created through the form, "Run now", the run's new results in the
 * history, and the bell counting the notification the run sent.
 */
describe.skipIf(e2eUnavailable())('saved searches page end to end', () => {
  let app: E2eApp;
  let searxng: FakeUpstreamServer;
  let server: CliServer;
  let page: Page;

  beforeAll(async () => {
    searxng = await startFakeSearxng();
    app = await startE2eApp({
      name: 'searches',
      config: { webSearch: { type: 'searxng', baseURL: searxng.url, timeoutMs: 5_000 } },
    });
    ({ server, page } = app);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await searxng?.close();
  });

  it('creates a search in the form, runs it now, shows the new results and counts the notification', async () => {
    await signUpInBrowser(page, server.url, {
      name: 'Sam',
      email: 'sam@example.com',
      password: 'a long password 135',
    });
    const bell = page.getByRole('button', { name: /^Notifications, \d+ unread$/ });
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 15_000 }).toBe('Notifications, 0 unread');

    await page.getByRole('link', { name: 'Saved searches' }).click();
    await page.waitForURL('**/searches');
    await page.getByRole('heading', { name: 'Saved searches' }).waitFor();
    await page.getByText('No saved searches yet.').waitFor();

    const form = page.getByRole('form', { name: 'New saved search' });
    await form.getByLabel('Search for').fill('tide tables');
    await form.getByLabel('Run').selectOption({ label: 'Every hour' });
    const created = page.waitForResponse(
      (response) => response.url().endsWith('/api/searches') && response.request().method() === 'POST',
    );
    await form.getByRole('button', { name: 'Save search' }).click();
    expect((await created).status()).toBe(201);
    const item = page.locator('li[data-search]').filter({ hasText: 'tide tables' });
    await item.waitFor();
    await item.getByText(/Every hour/).waitFor();

    await item.getByRole('button', { name: 'History' }).click();
    await item.getByText('No runs yet.').waitFor();
    const ran = page.waitForResponse(
      (response) => /\/api\/searches\/[^/]+\/run$/.test(response.url()) && response.request().method() === 'POST',
    );
    await item.getByRole('button', { name: 'Run now' }).click();
    expect((await ran).status()).toBe(202);

    // The run happens in a job; the open history shows it when it is done.
    const history = item.getByRole('list', { name: 'Results history' });
    await history.getByText(/1 new of 1/).waitFor({ timeout: 30_000 });
    const result = history.getByRole('link', { name: 'Tide tables for Brest' });
    expect(await result.getAttribute('href')).toBe('https://tides.example.org/brest');
    await page.screenshot({ path: join(artifacts, 'saved-searches.png') });

    // New results notify in the app: the bell counts it without a reload.
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 30_000 }).toBe('Notifications, 1 unread');
    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    await panel.getByText(/1 new result for/).waitFor();

    // Running again finds nothing new: the history says so and the bell stays at one.
    await page.keyboard.press('Escape');
    await item.getByRole('button', { name: 'Run now' }).click();
    await history.getByText(/0 new of 1/).waitFor({ timeout: 30_000 });
    expect(await bell.getAttribute('aria-label')).toBe('Notifications, 1 unread');
  }, 120_000);
});
