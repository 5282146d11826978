import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import {
  type ChatFields,
  type ChatFilter,
  type ChatMessage,
  type ChatPages,
  type ChatSummary,
  chatKeys,
  deleteChat,
  fetchAllMessages,
  fetchChatPage,
  fetchFolders,
  flattenChats,
  nextChatOffset,
  patchChat,
  removeChat,
  updateChatLists,
  upsertChat,
} from './conversations';

/** The sidebar's list: pages of 100 from /api/chats, fetched as the list scrolls (fetchNextPage). */
export function useChatList(filter: ChatFilter) {
  const query = useInfiniteQuery<ChatSummary[], Error, ChatPages, ReturnType<typeof chatKeys.list>, number>({
    queryKey: chatKeys.list(filter),
    queryFn: ({ pageParam }) => fetchChatPage(filter, pageParam),
    initialPageParam: 0,
    getNextPageParam: (lastPage, pages) => nextChatOffset(lastPage, pages),
    // Refetching means every loaded page again: rely on the optimistic updates instead.
    staleTime: 5 * 60_000,
    refetchOnWindowFocus: false,
  });
  const chats = useMemo(() => flattenChats(query.data), [query.data]);
  return { ...query, chats };
}

/** Every folder the user has, from the server (not only those of the chats loaded so far). */
export function useFolders() {
  return useQuery({ queryKey: chatKeys.folders, queryFn: fetchFolders, staleTime: 60_000 });
}

/** Every message of the open chat (pages of 500 fetched in parallel). */
export function useMessages(chatId: string | null) {
  return useQuery({
    queryKey: chatKeys.messages(chatId ?? 'none'),
    queryFn: () => fetchAllMessages(chatId ?? ''),
    enabled: chatId !== null,
    staleTime: 30_000,
    refetchOnWindowFocus: false,
  });
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

export function setMessages(
  client: ReturnType<typeof useQueryClient>,
  chatId: string,
  change: (messages: ChatMessage[]) => ChatMessage[],
): void {
  client.setQueryData<ChatMessage[]>(chatKeys.messages(chatId), (old) => change(old ?? []));
}
