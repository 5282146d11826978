/// <reference lib="dom" />
/**
 * A/B of the chat page's first render between web builds, on one server (a machine shared with other
 * work makes two separate runs incomparable): `tsx bench/first-render-ab.ts A=<dist dir> B=<dist dir>
 * [--rounds 12] [--throttle 4] [--profile <dir>] [--trace <dir>]`. Each dist is a copy of apps/web/dist from
 * `npm run build -w @switchyard/web`. **Replaces apps/web/dist** with the builds' files together
 * (hashed names do not collide; the server lists them at start) and one `chat-<name>.html` per build,
 * copied to chat.html before each of its loads; rebuild the web app afterwards.
 *
 * Data: 400 chats and one of 2,000 messages (Markdown with code), pinned and opened. Each load is a
 * fresh browser context (nothing cached), builds alternate (order reversed every round), one warm-up
 * round is not counted. First render as bench/browser-ui.ts defines it (both lists showing rows),
 * timed inside the page by a MutationObserver (`inPage`, ms after navigation start), plus when the
 * messages response ended, when the last of the first render's inputs ended (the files the page names,
 * /api/me and both lists: `inputsEnd`) and the time from then to the first render (`afterInputs`: the
 * browser's own share, which a loaded machine's slow server moves less than `inPage`), the rows drawn
 * then, and CDP's task/script/layout durations at the end. `--profile` writes each load's CPU profile,
 * `--trace` its Chrome trace (with the CPU profile, until a second after the first render; read it with
 * bench/first-render-trace.ts). `--chromium-arg` adds a browser flag (repeatable): headless Chromium loads its
 * omnibox popup's WebUI (~100 modules, chrome://omnibox-popup.top-chrome/) in every new context, on the
 * same cores while the measured page loads; `--chromium-arg=--disable-features=WebUIOmniboxPopup,
 * WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,PreloadTopChromeWebUI` leaves it out.
 * An arm written `name=<dist>+view` loads with the view cookie the app writes (language, time zone,
 * project), with which the server draws the chat page's first screen into the document; `appRender` is
 * the app's own first render then (the drawn screen replaced), the same as `inPage` without it; `lcp`
 * is when the largest text was painted (largest-contentful-paint: what the reader sees).
 * Prints every load, each build's medians and the paired medians (build − first build, same round).
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startCliServer } from '../apps/server/src/testing/cli-process';
import { chromiumArgs, chromiumPath } from '../e2e/chromium';
import { medianOfRuns as median } from './stats';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '12' },
    throttle: { type: 'string' },
    profile: { type: 'string' },
    trace: { type: 'string' },
    'chromium-arg': { type: 'string', multiple: true },
  },
});
// `name=dist+view`: that arm's browser has the view cookie the app writes (lib/early-requests.ts), so the
// server draws the chat page's first screen into the document (apps/server web-app/first-screen-http.ts).
const builds = positionals.map((spec) => {
  const at = spec.indexOf('=');
  if (at < 1) throw new Error(`expected name=dist, got ${spec}`);
  const dir = spec.slice(at + 1);
  const view = dir.endsWith('+view');
  return { name: spec.slice(0, at), dir: view ? dir.slice(0, -'+view'.length) : dir, view };
});
if (builds.length < 2) throw new Error('usage: first-render-ab.ts A=<dist> B=<dist> [--rounds n] [--throttle k]');
const [first] = builds;
if (!first) throw new Error('no build');
const rounds = Number(values.rounds);
const dist = new URL('../apps/web/dist/', import.meta.url).pathname;

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });
for (const build of builds) {
  for (const file of readdirSync(join(build.dir, 'assets'))) {
    cpSync(join(build.dir, 'assets', file), join(dist, 'assets', file), { force: false, errorOnExist: false });
  }
  copyFileSync(join(build.dir, 'chat.html'), join(dist, `chat-${build.name}.html`));
}
for (const file of ['index.html', 'theme.js', 'chat.html']) copyFileSync(join(first.dir, file), join(dist, file));

const dataDir = mkdtempSync(join(tmpdir(), 'first-render-ab-'));
const server = await startCliServer(['start'], {
  cwd: dataDir,
  variables: { SWITCHYARD_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
});
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [...chromiumArgs, ...(values['chromium-arg'] ?? [])],
});
type Row = Record<string, number>;
const results = new Map<string, Row[]>(builds.map((build) => [build.name, []]));
const loadBefore = loadavg()[0] ?? 0;
try {
  const signUp = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ name: 'Bench', email: 'bench@example.com', password: 'bench password 123456' }),
  });
  const setCookies = signUp.headers.getSetCookie();
  const cookie = setCookies.map((entry) => entry.split(';')[0]).join('; ');
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { cookie, origin: server.url, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : ((await response.json()) as Record<string, unknown>);
  };
  const topics = ['deploy plan', 'SQL question', 'poem', 'refactor'];
  for (let first = 399; first > 0; first -= 200) {
    const chats = [];
    for (let i = first; i > Math.max(0, first - 200); i--) {
      chats.push({
        title: `Conversation ${i}: ${topics[i % 4]}`,
        folder: [null, 'Work', null, 'Home'][i % 4],
        messages: [{ role: 'user', content: `Question ${i}` }],
      });
    }
    await call('POST', '/api/chats/import', { chats });
  }
  const body = 'Some **markdown** with a list:\n\n- one\n- two\n\n```js\nconst answer = 42;\n```\n';
  const big = (await call('POST', '/api/chats/import', {
    chats: [
      {
        title: 'The long one',
        messages: Array.from({ length: 2_000 }, (_, i) => ({
          role: i % 2 === 0 ? 'user' : 'assistant',
          content: i % 2 === 0 ? `Question ${i}` : `Answer ${i}. ${body}`,
        })),
      },
    ],
  })) as { chatIds: string[] };
  const chatId = big.chatIds[0] as string;
  await call('PATCH', `/api/chats/${chatId}`, { pinned: true });
  const { hostname } = new URL(server.url);
  const cookies = setCookies.map((entry) => {
    const [pair = ''] = entry.split(';');
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at), value: pair.slice(at + 1), domain: hostname, path: '/' };
  });

  for (let round = -1; round < rounds; round++) {
    for (const build of round % 2 ? builds : [...builds].reverse()) {
      copyFileSync(join(dist, `chat-${build.name}.html`), join(dist, 'chat.html'));
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies(cookies);
      if (build.view) {
        const view = { language: 'en', timeZone: 'UTC', project: null, dark: false };
        await context.addCookies([
          { name: 'switchyard.view', value: encodeURIComponent(JSON.stringify(view)), domain: hostname, path: '/' },
        ]);
      }
      // A string, not a function: tsx would wrap the function's inner arrows in a helper the page lacks.
      await context.addInitScript(`(() => {
        const check = () => {
          // The app's own first render: its rows, the first screen the server drew (if any) replaced.
          if (!globalThis.appRender && !document.querySelector('[data-first-screen]') &&
              document.querySelector('[data-testid="message-list"] article')) globalThis.appRender = performance.now();
          if (globalThis.firstRender) return;
          const messages = document.querySelectorAll('[data-testid="message-list"] article').length;
          const chats = document.querySelectorAll('[data-testid="conversation-list"] li').length;
          if (messages && chats) {
            globalThis.firstRender = performance.now();
            performance.mark('first-render');
            globalThis.rows = [messages, chats];
          }
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
        // When the largest text or image was painted (what a reader sees, not only what the DOM holds).
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) globalThis.lcp = entry.renderTime || entry.startTime;
        }).observe({ type: 'largest-contentful-paint', buffered: true });
        // The files the page names (its scripts, modulepreload links and style sheet), before the app adds any.
        document.addEventListener('DOMContentLoaded', () => {
          globalThis.pageFiles = [...document.querySelectorAll('script[src], link[href]')].map((element) =>
            new URL(element.getAttribute('src') ?? element.getAttribute('href'), location.href).href,
          );
        });
      })();`);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      if (values.throttle) await cdp.send('Emulation.setCPUThrottlingRate', { rate: Number(values.throttle) });
      if (values.profile) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      if (values.trace) {
        await browser.startTracing(page, {
          categories: [
            'devtools.timeline',
            'disabled-by-default-devtools.timeline',
            'v8',
            'v8.execute',
            'disabled-by-default-v8.compile',
            'blink.user_timing',
            'loading',
            'netlog',
            'navigation',
            'toplevel',
            'disabled-by-default-v8.cpu_profiler',
          ],
        });
      }
      await page.goto(`${server.url}/chat?chat=${chatId}`);
      await page.waitForFunction(() => (globalThis as unknown as { appRender?: number }).appRender !== undefined);
      const metrics = Object.fromEntries(
        (await cdp.send('Performance.getMetrics')).metrics.map((metric) => [metric.name, metric.value]),
      );
      const timing = await page.evaluate(() => {
        const state = globalThis as unknown as {
          firstRender: number;
          appRender: number;
          lcp?: number;
          rows: [number, number];
          pageFiles?: string[];
        };
        const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        const messages = resources.filter((entry) => /\/messages/.test(entry.name));
        // What the first render needs from the network: the page's files, the account and both lists.
        const inputs = resources.filter(
          (entry) => state.pageFiles?.includes(entry.name) || /\/messages\?|\/api\/chats\?|\/api\/me$/.test(entry.name),
        );
        const inputsEnd = Math.max(0, ...inputs.map((entry) => entry.responseEnd));
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        return {
          inPage: Math.round(state.firstRender),
          appRender: Math.round(state.appRender),
          lcp: Math.round(state.lcp ?? 0),
          fcp: Math.round(paint?.startTime ?? 0),
          messagesEnd: Math.round(Math.max(0, ...messages.map((entry) => entry.responseEnd))),
          inputsEnd: Math.round(inputsEnd),
          afterInputs: Math.round(state.firstRender - inputsEnd),
          messageRows: state.rows[0],
          chatRows: state.rows[1],
        };
      });
      const row: Row = {
        ...timing,
        taskMs: Math.round((metrics.TaskDuration ?? 0) * 1000),
        scriptMs: Math.round((metrics.ScriptDuration ?? 0) * 1000),
        layoutMs: Math.round((metrics.LayoutDuration ?? 0) * 1000),
      };
      if (values.profile) {
        const { profile } = await cdp.send('Profiler.stop');
        mkdirSync(values.profile, { recursive: true });
        writeFileSync(join(values.profile, `${build.name}-${round}.cpuprofile`), JSON.stringify(profile));
      }
      if (values.trace) {
        // The second after the first render too: what the page does right after it.
        await page.waitForTimeout(1_000);
        const trace = await browser.stopTracing();
        mkdirSync(values.trace, { recursive: true });
        writeFileSync(join(values.trace, `${build.name}-${round}.json`), trace);
      }
      if (round >= 0) results.get(build.name)?.push(row);
      console.log(build.name, round, JSON.stringify(row));
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.kill();
  rmSync(dataDir, { recursive: true, force: true });
}

const keys = [
  'inPage',
  'appRender',
  'lcp',
  'fcp',
  'messagesEnd',
  'inputsEnd',
  'afterInputs',
  'messageRows',
  'chatRows',
  'taskMs',
  'scriptMs',
  'layoutMs',
];
console.log(`load average (1 min): ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`);
for (const [name, rows] of results) {
  console.log(
    `median ${name} (${rows.length} loads):`,
    keys.map((key) => `${key} ${median(rows.map((row) => row[key] ?? 0))}`).join(', '),
  );
}
const base = results.get(first.name) ?? [];
for (const build of builds.slice(1)) {
  const rows = results.get(build.name) ?? [];
  for (const key of ['inPage', 'appRender', 'lcp', 'fcp', 'afterInputs', 'scriptMs', 'taskMs']) {
    const deltas = rows.map((row, at) => (row[key] ?? 0) - (base[at]?.[key] ?? 0));
    console.log(
      `paired ${build.name} − ${first.name}: ${key} median ${median(deltas)} ms, lower in ${deltas.filter((delta) => delta < 0).length} of ${deltas.length} rounds`,
    );
  }
}
