import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The chat page's first screen, sent with the document: for a signed-in reader whose browser has told
 * the server how it shows the page (the view cookie: language, time zone, project), GET /chat answers
 * with chat.html's head at once (the browser starts on the app's code), then the page's first responses
 * (the account, the sidebar's first chats, the open chat's newest messages) asked of the API itself, the
 * sidebar and the messages drawn from them by the web app's own components (apps/web/src/first-screen.tsx,
 * built to dist-server/first-screen.js), and those responses as JSON for the app, which then sends none
 * of these requests (apps/web/src/lib/early-requests.ts). The reader sees the newest messages as soon
 * as the document is in, not once the app has downloaded, started and asked.
 *
 * Each response is the API's own (app.inject with the reader's cookie): its authentication, its
 * object-level checks (another user's chat answers 404, and nothing of it is drawn), its limits. Nothing
 * goes wrong for the reader when this part does: without the cookie, without the built file, on an error
 * or after `timeoutMs`, the page is the plain shell and the app asks for what it needs itself.
 */

/** apps/web/dist-server/first-screen.js's exports (apps/web/src/first-screen.tsx). */
export interface FirstScreenModule {
  renderFirstScreen(input: {
    chats: readonly unknown[] | null;
    chatId: string | null;
    messages: readonly unknown[] | null;
    language: string;
    timeZone: string;
  }): string;
  chatPagePath(filter: { archived: boolean }, offset: number, project: string | null): string;
  messageRangePath(chatId: string, from: 'end', offset: number, limit: number): string;
  firstMessagePage: number;
  firstLoadMeta: string;
  firstLoadScriptId: string;
  viewCookie: string;
}

interface View {
  language: string;
  timeZone: string;
  project: string | null;
  /** The theme the browser showed (absent from a cookie written before the app sent it). */
  dark?: boolean;
}

/**
 * The names the web app reads (apps/web/src/lib/early-requests.ts; first-screen-http.test.ts checks
 * the built module exports the same): the head's meta that says the responses come with the page, and the
 * cookie the app writes its view into.
 */
export const firstLoadMeta = 'switchyard-first-load';
export const viewCookie = 'switchyard.view';

/** Where chat.html's root element is split: the header bar before it, the root's end after it. */
export const firstScreenMarker = '<!--first-screen-->';

/** Responses the app may take as its own: a retryable failure (429, 5xx) it asks for again itself. */
const inlinedStatuses = new Set([200, 401, 403, 404]);

/** The view cookie's value, checked (the browser's to write, so anything may come). */
export function readView(cookieHeader: string | undefined, name: string): View | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
    try {
      const value = JSON.parse(decodeURIComponent(part.slice(separator + 1).trim())) as Partial<View>;
      const text = (field: unknown, max: number) =>
        typeof field === 'string' && field.length > 0 && field.length <= max;
      if (!text(value.language, 16) || !text(value.timeZone, 64)) return null;
      if (value.project !== null && !text(value.project, 128)) return null;
      return {
        language: value.language as string,
        timeZone: value.timeZone as string,
        project: value.project ?? null,
        ...(typeof value.dark === 'boolean' ? { dark: value.dark } : {}),
      };
    } catch {
      return null;
    }
  }
  return null;
}

const themeScript = '<script src="/theme.js"></script>';

/**
 * The page's `<html>` as the view has it: its language, and its theme when the view knows it. Then
 * theme.js need not hold the parser (it is a blocking script so that a dark page never flashes light,
 * and it waits for the server like any file): it runs async and only corrects a theme that followed
 * the system when the system changed since. Both come from the cookie; neither is more than a class
 * and an attribute of known values.
 */
export function withView(head: string, view: View): string {
  const language = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(view.language) ? view.language : 'en';
  let html = head.replace(/<html lang="[^"]*">/, `<html lang="${language}"${view.dark ? ' class="dark"' : ''}>`);
  if (view.dark !== undefined) html = html.replace(themeScript, '<script src="/theme.js" async></script>');
  return html;
}

/** JSON in a `<script>` element: no `<` can end it or open a comment (`\u003c` is the same JSON). */
export function scriptSafeJson(json: string): string {
  return json.replaceAll('<', '\\u003c');
}

export interface FirstScreenOptions {
  /** chat.html's text. */
  shell: string;
  /** Reads a file the shell names (its style sheet, `/assets/…`), or null when there is none. */
  readAsset?: (path: string) => string | null;
  /** The built module (apps/web/dist-server/first-screen.js). */
  modulePath: string;
  /** How long the page waits for its responses before it is sent without them. */
  timeoutMs?: number;
}

/**
 * GET /chat's handler when the first screen can be drawn (chat.html has the marker and the module is
 * built), else null. The module is loaded once: by `warm()` (the server calls it a second after it
 * listens) or by the first chat page, which waits for it alongside its responses.
 */
export function firstScreenPage(app: FastifyInstance, options: FirstScreenOptions) {
  const split = options.shell.indexOf(firstScreenMarker);
  const headEnd = options.shell.indexOf('<head>');
  if (split < 0 || headEnd < 0 || !existsSync(options.modulePath)) return null;
  const timeoutMs = options.timeoutMs ?? 5_000;
  // The style sheet, in the drawn page itself: its first paint then waits for no file. Sent as a file
  // it came from the same busy server as the document's own work, 150-200 ms after the drawn rows.
  const sheetLink = /<link rel="stylesheet" crossorigin href="(\/assets\/[^"]+\.css)">/.exec(options.shell);
  const sheet = sheetLink?.[1] ? options.readAsset?.(sheetLink[1]) : null;
  const inlineSheet =
    sheetLink && sheet && !sheet.toLowerCase().includes('</style')
      ? { link: sheetLink[0], style: `<style>${sheet}</style>` }
      : null;
  let loading: Promise<FirstScreenModule | null> | null = null;
  const prepare = () => {
    loading ??= (import(pathToFileURL(options.modulePath).href) as Promise<FirstScreenModule>).catch((error) => {
      app.log.warn({ err: error }, 'the chat page first screen module did not load; pages are sent without it');
      return null;
    });
    return loading;
  };

  const ask = async (request: FastifyRequest, path: string) => {
    const response = await app.inject({
      method: 'GET',
      url: path,
      remoteAddress: request.ip,
      headers: {
        cookie: request.headers.cookie ?? '',
        ...(request.headers['user-agent'] ? { 'user-agent': request.headers['user-agent'] } : {}),
        ...(request.headers['accept-language'] ? { 'accept-language': request.headers['accept-language'] } : {}),
      },
    });
    const json = String(response.headers['content-type'] ?? '').startsWith('application/json');
    return { path, status: response.statusCode, body: json ? response.body : null };
  };

  /** The drawn screen and the responses, or '' when there is nothing to add (the plain shell then). */
  const firstScreen = async (request: FastifyRequest, view: View): Promise<string> => {
    const module = await prepare();
    if (!module) return '';
    const chatId = new URL(request.url, 'http://localhost').searchParams.get('chat');
    const paths = {
      me: '/api/me',
      chats: module.chatPagePath({ archived: false }, 0, view.project),
      messages: chatId ? module.messageRangePath(chatId, 'end', 0, module.firstMessagePage) : null,
    };
    const [me, chats, messages] = await Promise.all([
      ask(request, paths.me),
      ask(request, paths.chats),
      paths.messages ? ask(request, paths.messages) : null,
    ]);
    const answered = [me, chats, messages].filter(
      (response): response is NonNullable<typeof response> & { body: string } =>
        response !== null && response.body !== null && inlinedStatuses.has(response.status),
    );
    if (answered.length === 0) return '';
    let drawn = '';
    if (me.status === 200 && chats.status === 200 && chats.body) {
      try {
        drawn = module.renderFirstScreen({
          chats: (JSON.parse(chats.body) as { chats: unknown[] }).chats,
          chatId,
          messages:
            messages?.status === 200 && messages.body
              ? (JSON.parse(messages.body) as { messages: unknown[] }).messages
              : null,
          language: view.language,
          timeZone: view.timeZone,
        });
      } catch (error) {
        request.log.warn({ err: error }, 'the chat page first screen was not drawn');
      }
    }
    const responses = answered
      .map((response) => `${JSON.stringify(response.path)}:{"status":${response.status},"body":${response.body}}`)
      .join(',');
    return `${drawn}<script type="application/json" id="${module.firstLoadScriptId}">${scriptSafeJson(`{${responses}}`)}</script>`;
  };

  const withTimeout = (work: Promise<string>) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve(''), timeoutMs);
      timer.unref();
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  return {
    /**
     * Loads the module and draws one small screen (the first render of the Markdown and React code
     * it uses costs several times a later one), so the first reader after a start does not pay it.
     */
    async warm(): Promise<void> {
      const module = await prepare();
      const at = new Date(0).toISOString();
      module?.renderFirstScreen({
        chats: [{ id: 'warm', title: 'Warm', folder: null, pinned: false, archived: false, updatedAt: at }],
        chatId: 'warm',
        messages: [
          { id: 'q', role: 'user', content: 'Question', createdAt: at },
          { id: 'a', role: 'assistant', content: 'An **answer**:\n\n- one\n\n```js\nx = 1\n```', createdAt: at },
        ],
        language: 'en',
        timeZone: 'UTC',
      });
    },
    /** Answers GET /chat with the first screen, or returns false (HEAD, no view cookie): send the shell then. */
    handle(request: FastifyRequest, reply: FastifyReply): boolean {
      if (request.method !== 'GET') return false;
      const view = readView(request.headers.cookie, viewCookie);
      if (!view) return false;
      const at = headEnd + '<head>'.length;
      let head = withView(
        `${options.shell.slice(0, at)}\n    <meta name="${firstLoadMeta}" content="inline">${options.shell.slice(at, split)}`,
        view,
      );
      if (inlineSheet) head = head.replace(inlineSheet.link, inlineSheet.style);
      const stream = new PassThrough();
      // The page holds the reader's own data: never kept by a cache, and it differs by cookie.
      reply.header('Cache-Control', 'no-store').header('Vary', 'Cookie').type('text/html; charset=utf-8');
      stream.write(head);
      void reply.send(stream);
      // Once the head is on its way (the reply's hooks run first): the requests below take the event
      // loop in turns (the embedded database answers on it), and the browser wants the head first.
      new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => withTimeout(firstScreen(request, view)))
        .catch((error: unknown) => {
          request.log.warn({ err: error }, 'the chat page first responses were not sent with the page');
          return '';
        })
        .then((added) => {
          if (!stream.destroyed) stream.end(`${added}${options.shell.slice(split + firstScreenMarker.length)}`);
        });
      return true;
    },
  };
}
