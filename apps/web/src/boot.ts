/**
 * The first script the page runs (index.html loads it before the app): it starts the requests the
 * page at this address needs first, and on /chat the chat page's code, while the app's own code is
 * still on its way. Without it they waited for the app to download and start, then for the account
 * check, then for the page's code. main.tsx's prefetchFirstLoad takes the responses.
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
// Only downloads and starts the module: App's lazy import of the page gets this same module.
if (location.pathname === '/chat') void import('./pages/Chat').catch(() => {});
