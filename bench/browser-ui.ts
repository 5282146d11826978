/// <reference lib="dom" />
/**
 * Browser benchmark of the web app (npm run bench:ui): a real Switchyard on the embedded defaults,
 * Debian's chromium, localStorage seeded with 10,000 conversations and one of 2,000 messages.
 * Reports time to first render and requestAnimationFrame deltas while scrolling both virtualized
 * lists programmatically. Writes bench/results/<date>-ui.{json,md}.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startCliServer } from '../apps/server/src/testing/cli-process';
import { chromiumArgs, chromiumPath } from '../e2e/chromium';

const conversations = 10_000;
const messages = 2_000;

interface FrameStats {
  frames: number;
  mean_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  over_33ms: number;
}

function frameStats(deltas: number[]): FrameStats {
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    frames: deltas.length,
    mean_ms: round(deltas.reduce((sum, value) => sum + value, 0) / Math.max(1, deltas.length)),
    p50_ms: round(at(0.5)),
    p95_ms: round(at(0.95)),
    p99_ms: round(at(0.99)),
    max_ms: round(sorted.at(-1) ?? 0),
    over_33ms: deltas.filter((value) => value > 33.4).length,
  };
}

async function main() {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-bench-ui-'));
  const server = await startCliServer(['start'], {
    cwd: dataDir,
    variables: { SWITCHYARD_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
  });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const signUp = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ name: 'Bench', email: 'bench@example.com', password: 'bench password 123456' }),
    });
    if (!signUp.ok) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { hostname } = new URL(server.url);
    await context.addCookies(
      signUp.headers.getSetCookie().map((cookie) => {
        const [pair = ''] = cookie.split(';');
        const separator = pair.indexOf('=');
        return { name: pair.slice(0, separator), value: pair.slice(separator + 1), domain: hostname, path: '/' };
      }),
    );
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.evaluate(
      ({ conversations, messages }) => {
        const now = Date.now();
        const index = Array.from({ length: conversations }, (_, i) => ({
          id: `c${i}`,
          title: `Conversation ${i}: ${['deploy plan', 'SQL question', 'poem', 'refactor'][i % 4]}`,
          pinned: i % 500 === 0,
          updatedAt: now - i * 1000,
        }));
        index[0] = { id: 'big', title: 'The long one', pinned: true, updatedAt: now + 1000 };
        localStorage.setItem('switchyard.conversations', JSON.stringify(index));
        const body = 'Some **markdown** with a list:\n\n- one\n- two\n\n```js\nconst answer = 42;\n```\n';
        localStorage.setItem(
          'switchyard.conversation.big',
          JSON.stringify(
            Array.from({ length: messages }, (_, i) => ({
              id: `m${i}`,
              role: i % 2 === 0 ? 'user' : 'assistant',
              content: i % 2 === 0 ? `Question ${i}` : `Answer ${i}. ${body}`,
            })),
          ),
        );
      },
      { conversations, messages },
    );

    const started = Date.now();
    await page.goto(`${server.url}/chat`);
    await page.locator('[data-testid="conversation-list"] li').first().waitFor();
    await page.locator('[data-testid="message-list"] article').first().waitFor();
    const firstRender = Date.now() - started;
    const navigation = await page.evaluate(() => {
      const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return entry ? Math.round(entry.domContentLoadedEventEnd) : null;
    });
    const renderedRows = await page.locator('[data-testid="conversation-list"] li').count();
    const renderedMessages = await page.locator('[data-testid="message-list"] article').count();

    const scroll = (testId: string) =>
      page.evaluate(async (testId) => {
        const element = document.querySelector(`[data-testid="${testId}"]`) as HTMLElement;
        const deltas: number[] = [];
        const frames = 240;
        element.scrollTop = 0;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        let last = performance.now();
        for (let i = 1; i <= frames; i++) {
          element.scrollTop = ((element.scrollHeight - element.clientHeight) * i) / frames;
          await new Promise((resolve) => requestAnimationFrame(resolve));
          const now = performance.now();
          deltas.push(now - last);
          last = now;
        }
        return { deltas, scrollHeight: element.scrollHeight };
      }, testId);
    const sidebar = await scroll('conversation-list');
    const chat = await scroll('message-list');
    const results = {
      date: new Date().toISOString(),
      chromium: browser.version(),
      conversations,
      messages,
      time_to_first_render_ms: firstRender,
      dom_content_loaded_ms: navigation,
      rendered_rows: renderedRows,
      rendered_messages: renderedMessages,
      sidebar_scroll: { scroll_height_px: sidebar.scrollHeight, ...frameStats(sidebar.deltas) },
      conversation_scroll: { scroll_height_px: chat.scrollHeight, ...frameStats(chat.deltas) },
    };
    const day = results.date.slice(0, 10);
    const directory = join(import.meta.dirname, 'results');
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, `${day}-ui.json`), `${JSON.stringify(results, null, 2)}\n`);
    const row = (name: string, stats: FrameStats & { scroll_height_px: number }) =>
      `| ${name} | ${stats.frames} | ${stats.mean_ms} | ${stats.p50_ms} | ${stats.p95_ms} | ${stats.p99_ms} | ${stats.max_ms} | ${stats.over_33ms} |`;
    const markdown = [
      `# Web UI benchmark, ${day}`,
      '',
      `Chromium ${results.chromium}, headless, 1280×800; ${conversations.toLocaleString('en')} conversations in the sidebar, one conversation of ${messages.toLocaleString('en')} messages (Markdown with code) open.`,
      '',
      `- Time to first render (navigation to both lists showing rows): **${firstRender} ms** (DOMContentLoaded ${navigation} ms)`,
      `- DOM rows rendered: ${renderedRows} sidebar rows, ${renderedMessages} messages (virtualized)`,
      '',
      'Frame times while scrolling top to bottom in 240 programmatic steps (one per requestAnimationFrame):',
      '',
      '| list | frames | mean ms | p50 | p95 | p99 | max | frames > 33 ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      row('sidebar (10,000)', results.sidebar_scroll),
      row('conversation (2,000)', results.conversation_scroll),
      '',
    ].join('\n');
    await writeFile(join(directory, `${day}-ui.md`), markdown);
    console.log(markdown);
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
