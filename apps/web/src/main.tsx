import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preload } from './App';
import { ErrorBoundary } from './components/ui';
import { ApiError } from './lib/api';
import { prefetchFirstLoad } from './lib/first-load';
import './lib/i18n';
import { applyTheme } from './lib/preferences';
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
prefetchFirstLoad(client, location);
void preload(location.pathname);
applyTheme();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <QueryClientProvider client={client}>
          <App />
        </QueryClientProvider>
      </ErrorBoundary>
    </StrictMode>,
  );
}
