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
  startEarly('/api/me');
  if (address.pathname !== '/chat') return;
  startEarly(chatPagePath({ archived: false }, 0, project));
  const chatId = new URLSearchParams(address.search).get('chat');
  if (chatId) startEarly(messageRangePath(chatId, 'end', 0, firstMessagePage));
}

/** The request started early for this path, if any; each is handed out once. */
export function takeEarly(path: string): Promise<Response> | undefined {
  const response = started.get(path);
  started.delete(path);
  return response;
}

/** Drops the early requests nobody took (the page at this address did not need them after all). */
export function dropEarly(): void {
  started.clear();
}
