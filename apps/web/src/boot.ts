/**
 * The first script the page runs (index.html loads it before the app): it starts the requests the
 * page at this address needs first while the app's own code is still on its way. Without it they
 * waited for the app to download and start, then for the account check, then for the page's code.
 * main.tsx's prefetchFirstLoad takes the responses. It imports nothing from another file (vite.config.ts
 * keeps early-requests.ts in this one), so it runs as soon as it arrives. The chat page's code is named
 * in the page itself (chat.html's modulepreload links), not imported from here: an import here made
 * the bundler split React and the app's shared code into files of their own, more requests in the queue.
 */
import { projectStorageKey, startFirstRequests } from './lib/early-requests';

function storedProject(): string | null {
  try {
    return localStorage.getItem(projectStorageKey);
  } catch {
    return null;
  }
}

startFirstRequests(location, storedProject());

// A page's first Intl date formatter loads the browser's date and time data (35-70 ms in Chromium;
// later formatters take under a millisecond). Made here, when the main thread first waits for the
// app's code or the first responses, the chat's first render does not pay for it.
function warmIntl(): void {
  try {
    new Intl.DateTimeFormat().format(0);
    new Intl.NumberFormat().format(0);
  } catch {}
}
if (typeof requestIdleCallback === 'function') requestIdleCallback(warmIntl);
