import type { QueryClient } from '@tanstack/react-query';
import { api, type Me } from './api';
import { chatListOptions, defaultChatFilter, messagesOptions } from './chat-queries';
import { fetchChatPage, fetchMessageRange, fetchNewestMessages } from './conversations';
import { chatPagePath, dropEarly, firstMessagePage, messageRangePath, takeEarly } from './early-requests';
import { currentProjectId } from './projects';

/** The signed-in account, or null when signed out. `started`: its request, sent at page load. */
async function fetchMe(started?: Promise<Response>): Promise<Me | null> {
  try {
    return await api<Me>('/api/me', {}, started);
  } catch {
    return null;
  }
}

/**
 * The signed-in account (null when signed out). The header, the route guard and the prefetch at
 * page load share it; sign-in and sign-out set or invalidate it, so a fetched account stays fresh
 * for a while rather than being asked for again by every component that mounts.
 */
export const meQuery = {
  queryKey: ['me'] as const,
  queryFn: () => fetchMe(),
  staleTime: 60_000,
};

/** The early request for `path`, handed out once: a retry sends its own. */
function once(path: string): () => Promise<Response> | undefined {
  let started = takeEarly(path);
  return () => {
    const taken = started;
    started = undefined;
    return taken;
  };
}

/**
 * What the page at this address needs first, in the queries the page then uses, all at once rather
 * than one after the other as components mount (the account, then the page's code, then its lists):
 * the account always, and on /chat the sidebar's first page of chats and the open chat's newest
 * messages. Each takes the response of its request if boot.ts already sent it; the rest are dropped.
 * A signed-out visitor's chat requests answer 401 and are left unused. Settles (never rejects) once
 * the account is known.
 */
export function prefetchFirstLoad(client: QueryClient, address: { pathname: string; search: string }): Promise<void> {
  const me = once('/api/me');
  const account = client.prefetchQuery({ ...meQuery, queryFn: () => fetchMe(me()) });
  if (address.pathname === '/chat') {
    const chats = once(chatPagePath(defaultChatFilter, 0, currentProjectId()));
    void client.prefetchInfiniteQuery({
      ...chatListOptions(defaultChatFilter),
      queryFn: ({ pageParam }) => fetchChatPage(defaultChatFilter, pageParam, pageParam === 0 ? chats() : undefined),
    });
    const chatId = new URLSearchParams(address.search).get('chat');
    if (chatId) {
      const newest = once(messageRangePath(chatId, 'end', 0, firstMessagePage));
      void client.prefetchQuery({
        ...messagesOptions(client, chatId),
        queryFn: () =>
          fetchNewestMessages(chatId, 0, (offset, limit) =>
            fetchMessageRange(
              chatId,
              'end',
              offset,
              limit,
              offset === 0 && limit === firstMessagePage ? newest() : undefined,
            ),
          ),
      });
    }
  }
  dropEarly();
  return account;
}
