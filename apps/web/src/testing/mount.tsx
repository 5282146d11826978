import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactElement } from 'react';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';

export interface Mounted {
  container: HTMLDivElement;
  root: Root;
  /** Unmounts and removes the container. */
  unmount(): Promise<void>;
}

/** Renders `ui` into a fresh container in the document, inside a QueryClient that does not retry. */
export async function mountWithQueryClient(ui: ReactElement): Promise<Mounted> {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  await act(async () => root.render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>));
  return {
    container,
    root,
    async unmount() {
      await act(async () => root.unmount());
      container.remove();
    },
  };
}
