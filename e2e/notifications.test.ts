/// <reference lib="dom" />
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, runCli } from '../apps/server/src/testing/cli-process';
import { artifacts, type E2eApp, e2eUnavailable, startE2eApp } from './harness';

/**
 * The notification bell in a real browser: a notification created on the server (an admin's test
 * notification) shows up in the header at once, through the live stream, without a reload.
 */
describe.skipIf(e2eUnavailable())('notifications end to end', () => {
  let app: E2eApp;
  let server: CliServer;
  let page: Page;
  let adminKey: string;

  beforeAll(async () => {
    app = await startE2eApp({
      name: 'notify',
      prepare: async (dataDir, variables) => {
        const created = await runCli(
          ['admin', 'create', '--email', 'admin@example.com', '--password', 'a long password 123'],
          { cwd: dataDir, variables },
        );
        expect(created.code, created.stderr).toBe(0);
      },
    });
    ({ server, page } = app);
    const key = await runCli(['keys', 'create', '--env', 'prod', '--name', 'e2e admin', '--admin'], {
      cwd: app.dataDir,
      variables: app.variables,
    });
    expect(key.code, key.stderr).toBe(0);
    adminKey = key.stdout.trim();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('updates the bell live when a notification is created, marks it read and changes a preference from the panel', async () => {
    await page.goto(`${server.url}/signup`);
    await page.getByLabel('Name').fill('Grace');
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Password').fill('another long password 456');
    const streaming = page.waitForResponse((response) => response.url().endsWith('/api/notifications/stream'));
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/chat');
    expect((await streaming).status()).toBe(200);
    const bell = page.getByRole('button', { name: /^Notifications, \d+ unread$/ });
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 15_000 }).toBe('Notifications, 0 unread');

    const me = (await page.evaluate(async () => (await fetch('/api/me')).json())) as { id: string };
    const sent = await fetch(`${server.url}/v1/admin/notifications/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: me.id, title: 'Your tide table is ready', body: 'Winter tables for the harbour' }),
    });
    expect(sent.status).toBe(201);

    // No reload, no polling by the page: the stream brought it.
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 15_000 }).toBe('Notifications, 1 unread');
    expect(await page.getByTestId('notification-count').innerText()).toBe('1');
    await bell.click();
    const panel = page.getByRole('region', { name: 'Notifications' });
    await panel.getByText('Your tide table is ready').waitFor();
    await panel.getByText('Winter tables for the harbour').waitFor();
    await page.screenshot({ path: join(artifacts, 'notifications-bell.png') });

    await panel.getByRole('button', { name: /Your tide table is ready/ }).click();
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 15_000 }).toBe('Notifications, 0 unread');

    // Settings in the same panel: test notifications only in the daily digest from now on (in-app off).
    await bell.click();
    await panel.getByRole('button', { name: 'Settings' }).click();
    const inApp = panel.getByLabel('Test notifications an administrator sends: In app');
    await inApp.selectOption('off');
    const saved = async () => {
      const preferences = (await page.evaluate(async () => (await fetch('/api/notifications/preferences')).json())) as {
        kinds: Array<{ kind: string; channels: Record<string, string> }>;
      };
      return preferences.kinds.find((kind) => kind.kind === 'system.test')?.channels.in_app;
    };
    await expect.poll(saved, { timeout: 15_000 }).toBe('off');
    expect(await inApp.inputValue()).toBe('off');
  }, 120_000);
});
