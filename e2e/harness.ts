import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { type CliServer, startCliServer } from '../apps/server/src/testing/cli-process';
import { chromiumArgs, chromiumPath } from './chromium';

/** Screenshots the e2e tests keep (CI keeps the folder as an artifact). */
export const artifacts = join(import.meta.dirname, 'artifacts');

const hasChromium = existsSync(chromiumPath);
const hasBuild = existsSync(join(import.meta.dirname, '../apps/web/dist/index.html'));

/** True, with the reason printed, when this machine cannot run browser tests (for describe.skipIf). */
export function e2eUnavailable(): boolean {
  if (!hasChromium) console.warn(`e2e skipped: ${chromiumPath} is missing (apt-get install -y chromium)`);
  if (!hasBuild) console.warn('e2e skipped: apps/web/dist is missing (npm run build -w @switchyard/web)');
  return !hasChromium || !hasBuild;
}

export interface E2eApp {
  readonly dataDir: string;
  /** The environment `switchyard` runs with (to run other CLI commands on the same data dir). */
  readonly variables: Record<string, string>;
  readonly server: CliServer;
  readonly browser: Browser;
  readonly page: Page;
  /** Closes the browser, stops the server and deletes the data dir. */
  close(): Promise<void>;
}

export interface E2eAppOptions {
  /** The data dir's name starts with this. */
  readonly name: string;
  /** `switchyard.config.yaml` (ollama autodetection is off unless the test says otherwise). */
  readonly config?: Record<string, unknown>;
  /** Runs on the new data dir before the server starts (files the config points at, CLI set-up). */
  readonly prepare?: (dataDir: string, variables: Record<string, string>) => Promise<void>;
  /** More Chromium flags (fake media devices, ...). */
  readonly chromiumFlags?: (dataDir: string) => string[];
  readonly pageOptions?: BrowserContextOptions;
}

/** A real `switchyard start` on a fresh data dir, and Debian's Chromium with one page. */
export async function startE2eApp(options: E2eAppOptions): Promise<E2eApp> {
  await mkdir(artifacts, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), `switchyard-e2e-${options.name}-`));
  // No drain delay: the browser is gone when the server stops, and no proxy needs to see /ready fail.
  const variables = {
    SWITCHYARD_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_DELAY_SECONDS: '0',
  };
  let server: CliServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await writeFile(
      join(dataDir, 'switchyard.config.yaml'),
      JSON.stringify({ ollama: { autodetect: false }, ...options.config }),
    );
    await options.prepare?.(dataDir, variables);
    server = await startCliServer(['start'], { cwd: dataDir, variables });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [...chromiumArgs, ...(options.chromiumFlags?.(dataDir) ?? [])],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...options.pageOptions });
    return { dataDir, variables, server, browser, page, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** Signs a new user up through the landing page's "Create an account" and waits for the chat. */
export async function signUpInBrowser(
  page: Page,
  url: string,
  user: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('**/chat');
}
