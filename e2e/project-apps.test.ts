/// <reference lib="dom" />
import { join } from 'node:path';
import { startTestMcpHttpServer } from '@switchyard/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, type E2eApp, e2eUnavailable, signUpInBrowser, startE2eApp } from './harness';

/**
 * End to end: a project's admin who is not a site admin adds an app (the testkit's MCP server over HTTP) to
 * the project on the Projects page, checks the form's messages, edits it, and sees it; a viewer of the
 * project sees it on a phone, read-only, and the server refuses the viewer's change too.
 */
describe.skipIf(e2eUnavailable())('project apps on the Projects page end to end', () => {
  let mcp: Awaited<ReturnType<typeof startTestMcpHttpServer>>;
  let app: E2eApp;
  const contexts: BrowserContext[] = [];

  /** A new user in a browser context of their own (their own session cookie). */
  async function person(name: string, email: string, phone = false): Promise<Page> {
    const context = await app.browser.newContext(
      phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {},
    );
    contexts.push(context);
    const page = await context.newPage();
    await signUpInBrowser(page, app.server.url, { name, email, password: 'a long password 789' });
    return page;
  }

  beforeAll(async () => {
    mcp = await startTestMcpHttpServer();
    app = await startE2eApp({
      name: 'project-apps',
      // The MCP server listens on the loopback network, which a project's app may not reach unless allowed.
      config: { projectApps: { allowedNetworks: ['127.0.0.0/8'] } },
    });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await app?.close();
    await mcp?.close();
  });

  it('a project admin (not a site admin) adds and edits an app; a viewer sees it read-only', async () => {
    // The first account is the site's admin: here the project's owner, who makes the others members.
    const owner = await person('Olga', 'olga@example.com');
    const admin = await person('Paula', 'paula@example.com');
    const viewer = await person('Vera', 'vera@example.com', true);
    const me = await admin.evaluate(async () => (await fetch('/api/me')).json());
    expect(me.role).not.toBe('admin');

    await owner.goto(`${app.server.url}/projects`);
    await owner.getByLabel('New project name').fill('Shop');
    await owner.getByRole('button', { name: 'Create project' }).click();
    const project = owner.getByRole('region', { name: 'Shop' });
    const addMember = project.locator('form').filter({ has: owner.getByRole('button', { name: 'Add existing user' }) });
    for (const [email, role] of [
      ['paula@example.com', 'admin'],
      ['vera@example.com', 'viewer'],
    ] as const) {
      await addMember.getByLabel('Email').fill(email);
      await addMember.locator('select').selectOption(role);
      await addMember.getByRole('button', { name: 'Add existing user' }).click();
      await project.getByText(email).first().waitFor();
    }

    // The project admin: the form says what is missing before anything is sent.
    await admin.goto(`${app.server.url}/projects`);
    const apps = admin.getByRole('region', { name: 'Project apps' });
    await apps.getByText('No apps in this project yet.').waitFor();
    const form = apps.getByRole('form', { name: 'Add an app' });
    await form.getByRole('button', { name: 'Add app' }).click();
    await form.getByText('Give the app an ID.').waitFor();
    expect(await form.getByLabel('ID', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => admin.evaluate(() => document.activeElement?.getAttribute('aria-invalid'))).toBe('true');

    await form.getByLabel('ID', { exact: true }).fill('notes');
    await form.getByLabel('Name (optional)').fill('Notes');
    await form.getByLabel('MCP endpoint URL').fill(mcp.url);
    await form.getByLabel('Authorization header (optional)').fill('Bearer e2e-secret');
    await form.getByRole('button', { name: 'Add app' }).click();
    await apps.getByRole('status').getByText('App Notes added').waitFor();
    const listed = apps.getByRole('listitem').filter({ hasText: 'Notes' });
    await listed.getByText('Sends headers: authorization').waitFor();

    // Edit: a new name and description; the stored header is kept.
    await apps.getByRole('button', { name: 'Edit Notes' }).click();
    const edit = apps.getByRole('form', { name: 'Edit Notes' });
    await edit.getByLabel('Name (optional)').fill('Team notes');
    await edit.getByLabel('Description (optional)').fill('Echoes what the team writes');
    await edit.getByRole('button', { name: 'Save' }).click();
    await apps.getByRole('status').getByText('App Team notes saved').waitFor();
    await apps.getByText('Echoes what the team writes').waitFor();
    expect(await admin.content()).not.toContain('e2e-secret');

    // The app answers in the project (the registry has the change): the chat's picker lists it, reachable.
    const offered = await admin.evaluate(
      async (projectId) => {
        const response = await fetch(`/api/apps?project=${projectId}`);
        return ((await response.json()).apps as Array<{ id: string; name: string; status: string }>).find(
          (each) => each.id === 'notes',
        );
      },
      await projectIdOf(admin),
    );
    expect(offered).toMatchObject({ id: 'notes', status: 'ok' });
    await admin.screenshot({ path: join(artifacts, 'project-apps-admin.png'), fullPage: true });

    // The viewer, on a phone: the app is listed, with no way to change it, and the page fits the screen.
    await viewer.goto(`${app.server.url}/projects`);
    const viewerApps = viewer.getByRole('region', { name: 'Project apps' });
    await viewerApps.getByText('Team notes').waitFor();
    expect(await viewerApps.getByRole('button', { name: 'Edit Team notes' }).count()).toBe(0);
    expect(await viewerApps.getByRole('form').count()).toBe(0);
    const overflow = await viewer.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    const refused = await viewer.evaluate(async () => {
      const response = await fetch('/api/apps/notes', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Mine' }),
      });
      return { status: response.status, code: (await response.json()).error?.code };
    });
    expect(refused).toEqual({ status: 403, code: 'SY_ERR_FORBIDDEN' });
    await viewer.screenshot({ path: join(artifacts, 'project-apps-viewer-phone.png'), fullPage: true });
  }, 180_000);
});

/** The id of the signed-in user's only project. */
async function projectIdOf(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const body = await (await fetch('/v1/projects')).json();
    return body.projects[0].id as string;
  });
}
