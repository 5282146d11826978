/**
 * The first load's GET requests, started by boot.ts, a small script of its own that the browser runs
 * as soon as it arrives, while the app's code (React, the router, the page) is still downloading and
 * starting. prefetchFirstLoad (first-load.ts) hands each to the query that would have sent it; those
 * left over are dropped then, so a response of the page's first moments is never used later.
 * No imports: boot.ts stays small.
 */

export const chatPageSize = 100; // the server's maximum for /api/chats
/** How many of the newest messages a chat opens with; older ones load as the list scrolls up. */
export const firstMessagePage = 100;
/** Where the project the web app works in is kept (null: personal); projects.ts owns it. */
export const projectStorageKey = 'switchyard.project';

/**
 * The server can send a signed-in page's first responses with the document itself (apps/server's
 * web-app/first-screen-http.ts): the `<meta>` in the head says they are coming, the JSON script in the body
 * holds them by path ({ status, body }), and the page's first rows are drawn from them in the HTML.
 */
export const firstLoadMeta = 'switchyard-first-load';
export const firstLoadScriptId = 'switchyard-first-load';
/**
 * What the server needs to draw the first screen as the app would: the page's language, the browser's
 * time zone (message times), the project the lists are in and the theme shown. A cookie (nothing secret), written by the
 * app on each load and when one of them changes; without it the server sends the data but draws nothing.
 */
export const viewCookie = 'switchyard.view';
export interface ViewHint {
  language: string;
  timeZone: string;
  project: string | null;
  /** The theme shown (dark or not): the server puts it on <html> and need not hold the page for theme.js. */
  dark: boolean;
}

export function rememberView(view: ViewHint): void {
  try {
    // biome-ignore lint/suspicious/noDocumentCookie: a plain first-party cookie the server reads; no store to await
    document.cookie = `${viewCookie}=${encodeURIComponent(JSON.stringify(view))}; path=/; max-age=31536000; samesite=lax`;
  } catch {}
}

export function searchOf(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return search.toString();
}

/** GET /api/chats: one page of the sidebar's list. */
export function chatPagePath(filter: { archived: boolean; folder?: string }, offset: number, project: string | null) {
  return `/api/chats?${searchOf({ limit: chatPageSize, offset, archived: String(filter.archived), folder: filter.folder, project: project ?? undefined })}`;
}

/** GET /api/chats/:id/messages: `from: 'end'` counts the offset back from the newest message. */
export function messageRangePath(chatId: string, from: 'start' | 'end', offset: number, limit: number) {
  return `/api/chats/${encodeURIComponent(chatId)}/messages?${searchOf({ limit, offset, from })}`;
}

const started = new Map<string, Promise<Response>>();

function startEarly(path: string): void {
  if (started.has(path)) return;
  const response = fetch(path, { credentials: 'same-origin' });
  // A network failure is the taker's to report; one nobody takes is not an unhandled rejection.
  response.catch(() => {});
  started.set(path, response);
}

/**
 * What the address will need first: the account always; on /chat the sidebar's first page (the list
 * as it opens: not archived, any folder, in the chosen project) and the open chat's newest messages.
 */
export function startFirstRequests(address: { pathname: string; search: string }, project: string | null): void {
  // The server sends them with the page (read by takeEarly once the document is parsed).
  if (document.querySelector(`meta[name="${firstLoadMeta}"]`)) return;
  startEarly('/api/me');
  if (address.pathname !== '/chat') return;
  startEarly(chatPagePath({ archived: false }, 0, project));
  const chatId = new URLSearchParams(address.search).get('chat');
  if (chatId) startEarly(messageRangePath(chatId, 'end', 0, firstMessagePage));
}

let inline: Map<string, { status: number; body: unknown }> | null = null;

/** The responses the server sent in the document, by path (taken out of it at the first read; none when it sent none). */
function inlineResponses(): Map<string, { status: number; body: unknown }> {
  if (inline) return inline;
  inline = new Map();
  const script = typeof document === 'undefined' ? null : document.getElementById(firstLoadScriptId);
  script?.remove();
  if (script?.textContent) {
    try {
      const byPath = JSON.parse(script.textContent) as Record<string, { status: number; body: unknown }>;
      for (const [path, response] of Object.entries(byPath)) inline.set(path, response);
    } catch {
      // Not ours to fail on: the page asks for what it needs itself.
    }
  }
  return inline;
}

/** The response for this path sent with the page, else the request started early for it, if any; each is handed out once. */
export function takeEarly(path: string): Promise<Response> | undefined {
  const responses = inlineResponses();
  const sent = responses.get(path);
  if (sent) {
    responses.delete(path);
    return Promise.resolve(
      new Response(JSON.stringify(sent.body), { status: sent.status, headers: { 'content-type': 'application/json' } }),
    );
  }
  const response = started.get(path);
  started.delete(path);
  return response;
}

/** Drops the early requests and sent responses nobody took (the page at this address did not need them after all). */
export function dropEarly(): void {
  started.clear();
  inline = null;
}
