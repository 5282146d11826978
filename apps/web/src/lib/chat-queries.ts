import {
  infiniteQueryOptions,
  type QueryClient,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useCallback, useMemo, useRef, useState } from 'react';
import {
  type ChatFields,
  type ChatFilter,
  type ChatMessage,
  type ChatPages,
  type ChatSummary,
  chatKeys,
  deleteChat,
  fetchChatPage,
  fetchFolders,
  fetchNewestMessages,
  fetchOlderMessages,
  flattenChats,
  type LoadedMessages,
  nextChatOffset,
  patchChat,
  removeChat,
  updateChatLists,
  upsertChat,
} from './conversations';
import { whenPainted } from './first-paint';

/** The sidebar's list as it opens: every chat that is not archived, in any folder. */
export const defaultChatFilter: ChatFilter = { archived: false };

/**
 * The sidebar's list query: pages of 100 from /api/chats. One definition for the sidebar and for the
 * prefetch at page load (first-load.ts), so both use the same key and the page finds the request started.
 */
export function chatListOptions(filter: ChatFilter) {
  return infiniteQueryOptions<ChatSummary[], Error, ChatPages, ReturnType<typeof chatKeys.list>, number>({
    queryKey: chatKeys.list(filter),
    queryFn: ({ pageParam }) => fetchChatPage(filter, pageParam),
    initialPageParam: 0,
    getNextPageParam: (lastPage, pages) => nextChatOffset(lastPage, pages),
    // Refetching means every loaded page again: rely on the optimistic updates instead.
    staleTime: 5 * 60_000,
    refetchOnWindowFocus: false,
  });
}

/**
 * A chat's messages query (the newest page first; a refetch asks for as many as are loaded), shared by
 * useMessages and the prefetch at page load.
 */
export function messagesOptions(client: QueryClient, chatId: string) {
  return queryOptions({
    queryKey: chatKeys.messages(chatId),
    queryFn: () =>
      fetchNewestMessages(chatId, client.getQueryData<LoadedMessages>(chatKeys.messages(chatId))?.messages.length ?? 0),
    staleTime: 30_000,
    refetchOnWindowFocus: false,
  });
}

/** The sidebar's list: pages of 100 from /api/chats, fetched as the list scrolls (fetchNextPage). */
export function useChatList(filter: ChatFilter) {
  const query = useInfiniteQuery(chatListOptions(filter));
  const chats = useMemo(() => flattenChats(query.data), [query.data]);
  return { ...query, chats };
}

/** Every folder the user has, from the server (not only those of the chats loaded so far). */
export function useFolders() {
  return useQuery({ queryKey: chatKeys.folders, queryFn: whenPainted(fetchFolders), staleTime: 60_000 });
}

/**
 * The open chat's messages, newest first: it opens with the newest page (GET ?from=end), and
 * `loadOlder` puts the next older page before them (the list calls it when scrolled to the top).
 * A refetch (after an answer, say) asks for as many newest messages as were loaded.
 */
export function useMessages(chatId: string | null) {
  const client = useQueryClient();
  const query = useQuery({ ...messagesOptions(client, chatId ?? 'none'), enabled: chatId !== null });
  const [loadingOlder, setLoadingOlder] = useState(false);
  const loading = useRef(false);
  const loadOlder = useCallback(async () => {
    if (!chatId || loading.current) return;
    const key = chatKeys.messages(chatId);
    const loaded = client.getQueryData<LoadedMessages>(key);
    if (!loaded || loaded.before <= 0) return;
    loading.current = true;
    setLoadingOlder(true);
    try {
      const next = await fetchOlderMessages(chatId, loaded);
      const older = next.messages.slice(0, next.messages.length - loaded.messages.length);
      // Messages added at the end meanwhile stay; a list replaced meanwhile (another branch) wins.
      client.setQueryData<LoadedMessages>(key, (current) =>
        current && current.before === loaded.before
          ? { messages: [...older, ...current.messages], before: next.before }
          : current,
      );
    } finally {
      loading.current = false;
      setLoadingOlder(false);
    }
  }, [chatId, client]);
  return { ...query, loadOlder, loadingOlder };
}

/**
 * Rename, pin, move to a folder, archive and delete: the cached lists change at once, the request
 * follows, and a refusal puts the lists back as they were (and the error is shown).
 */
export function useChatActions(onError: (error: unknown) => void) {
  const client = useQueryClient();
  const update = useMutation({
    mutationFn: ({ chat, fields }: { chat: ChatSummary; fields: ChatFields }) => patchChat(chat.id, fields),
    onMutate: async ({ chat, fields }) => {
      await client.cancelQueries({ queryKey: chatKeys.lists });
      const changed: ChatSummary = { ...chat, ...fields, updatedAt: new Date().toISOString() };
      return updateChatLists(client, (data, filter) => upsertChat(data, filter, changed));
    },
    onError: (error, _input, previous) => {
      for (const [key, data] of previous ?? []) client.setQueryData(key, data);
      onError(error);
    },
    onSuccess: (row, { fields }) => {
      updateChatLists(client, (data, filter) => upsertChat(data, filter, row));
      if ('folder' in fields) void client.invalidateQueries({ queryKey: chatKeys.folders });
    },
  });
  const remove = useMutation({
    mutationFn: (chat: ChatSummary) => deleteChat(chat.id),
    onMutate: async (chat) => {
      await client.cancelQueries({ queryKey: chatKeys.lists });
      return updateChatLists(client, (data) => removeChat(data, chat.id));
    },
    onError: (error, _chat, previous) => {
      for (const [key, data] of previous ?? []) client.setQueryData(key, data);
      onError(error);
    },
    onSuccess: (_result, chat) => {
      client.removeQueries({ queryKey: chatKeys.messages(chat.id) });
      if (chat.folder) void client.invalidateQueries({ queryKey: chatKeys.folders });
    },
  });
  // mutate is stable, so the rows (memoized) do not re-render when the sidebar does.
  const updateMutate = update.mutate;
  const removeMutate = remove.mutate;
  return useMemo(
    () => ({
      update: (chat: ChatSummary, fields: ChatFields) => updateMutate({ chat, fields }),
      remove: (chat: ChatSummary) => removeMutate(chat),
    }),
    [updateMutate, removeMutate],
  );
}

/** Changes the loaded messages of a chat (the older ones not loaded stay as they are). */
export function setMessages(
  client: ReturnType<typeof useQueryClient>,
  chatId: string,
  change: (messages: ChatMessage[]) => ChatMessage[],
): void {
  client.setQueryData<LoadedMessages>(chatKeys.messages(chatId), (old) => ({
    messages: change(old?.messages ?? []),
    before: old?.before ?? 0,
  }));
}

/** The chat's whole branch is known (a new chat, or a short branch the server answered with). */
export function setAllMessages(client: ReturnType<typeof useQueryClient>, chatId: string, messages: ChatMessage[]) {
  client.setQueryData<LoadedMessages>(chatKeys.messages(chatId), { messages, before: 0 });
}
