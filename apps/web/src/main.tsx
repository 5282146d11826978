import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preload } from './App';
import { ErrorBoundary } from './components/ui';
import { ApiError } from './lib/api';
import { prefetchFirstLoad } from './lib/first-load';
import { afterFirstPaint, holdUntilFirstPaint } from './lib/first-paint';
import './lib/i18n';
import { applyTheme } from './lib/preferences';
import { keepViewHint } from './lib/view-hint';
import './index.css';

const client = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

// Before the first render: the account, the page's code and (on /chat) its lists are requested at
// once, not one after the other as the components that need them mount.
const account = prefetchFirstLoad(client, location);
const pageCode = preload(location.pathname);
holdUntilFirstPaint();
applyTheme();
void afterFirstPaint().then(keepViewHint);
const root = document.getElementById('root');
// The first render waits for the account and the page's code (both on their way since boot.ts and
// the page's modulepreload links; on a first load usually in before this file has run): it then draws
// the page itself, not a spinner that two more renders replace (the account, then the page's code),
// each in a task of its own before the page's rows.
if (root) {
  void Promise.all([account, pageCode]).then(() =>
    createRoot(root).render(
      <StrictMode>
        <ErrorBoundary>
          <QueryClientProvider client={client}>
            <App />
          </QueryClientProvider>
        </ErrorBoundary>
      </StrictMode>,
    ),
  );
}
