import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { defaultChatFilter, useChatActions, useChatList, useFolders } from '../lib/chat-queries';
import {
  type ChatFields,
  type ChatFilter,
  type ChatSummary,
  chatKeys,
  filterByTitle,
  knownFolders,
  type SearchHit,
  searchChats,
} from '../lib/conversations';
import { useFirstPaintOverscan } from '../lib/first-paint';
import { formatNumber, useTranslation } from '../lib/i18n';
import { stripMarkdown } from '../lib/plain-text';
import { chatLayout } from './chat-layout';
import { MenuButton } from './Menu';
import { buttonClass, ErrorBox, inputClass, selectClass } from './ui';

type Row =
  | { kind: 'chat'; key: string; chat: ChatSummary }
  | { kind: 'header'; key: string; label: string }
  | { kind: 'hit'; key: string; hit: SearchHit }
  | { kind: 'note'; key: string; label: string };

/** A chat's row height (the server-drawn first screen, first-screen.tsx, draws them at it too). */
export const chatRowHeight = 40;
/** The list's view of every chat not archived (SidebarHead's `view`). */
export const allChats = '';
const archivedView = '\u0000archived';

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

const iconButton = 'rounded px-2 py-1 opacity-60 hover:opacity-100 focus:opacity-100';

/** A chat row's box (`li`) in the list, the open chat's highlighted. */
export const chatRowClass = (active: boolean) =>
  `group flex w-full items-center gap-1 rounded px-1 text-sm ${active ? 'bg-indigo-100 dark:bg-indigo-900' : ''}`;

/** One chat in the list (and in the server-drawn first screen: first-screen.tsx). */
export const ChatRow = memo(function ChatRow({
  chat,
  active,
  onSelect,
  onUpdate,
  onDelete,
}: {
  chat: ChatSummary;
  active: boolean;
  onSelect(id: string): void;
  onUpdate(chat: ChatSummary, fields: ChatFields): void;
  onDelete(chat: ChatSummary): void;
}) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<'title' | 'folder' | null>(null);
  const title = stripMarkdown(chat.title);
  if (editing) {
    const commit = (value: string) => {
      const text = value.trim();
      if (editing === 'title' && text && text !== chat.title) onUpdate(chat, { title: text });
      if (editing === 'folder' && (text || null) !== chat.folder) onUpdate(chat, { folder: text || null });
      setEditing(null);
    };
    return (
      <input
        className={inputClass}
        aria-label={editing === 'title' ? t('sidebar.newTitle') : t('sidebar.folderName')}
        placeholder={editing === 'folder' ? t('sidebar.folderPlaceholder') : undefined}
        list={editing === 'folder' ? 'chat-folders' : undefined}
        defaultValue={editing === 'title' ? chat.title : (chat.folder ?? '')}
        // biome-ignore lint/a11y/noAutofocus: focus follows the rename or move action
        autoFocus
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit(e.currentTarget.value);
          else if (e.key === 'Escape') setEditing(null);
        }}
        onBlur={() => setEditing(null)}
      />
    );
  }
  return (
    <>
      <button
        type="button"
        className="min-w-0 flex-1 truncate py-2 text-left"
        aria-current={active ? 'page' : undefined}
        title={chat.folder ? `${title} (${chat.folder})` : title}
        onClick={() => onSelect(chat.id)}
      >
        {chat.pinned ? '📌 ' : ''}
        {title}
      </button>
      {/* One menu per row, rendered on demand: each of 10,000 rows carries two buttons, not six, and its
          items (ten translated labels) are made when it opens, not for every row drawn. */}
      <MenuButton
        label={t('sidebar.actionsFor', { title })}
        buttonClassName={`${iconButton} shrink-0`}
        menuClassName="absolute top-9 right-0 z-10 flex w-44 flex-col rounded-md border border-slate-300 bg-white py-1 text-left shadow-lg dark:border-slate-700 dark:bg-slate-900"
        items={() => [
          {
            key: 'pin',
            label: t(chat.pinned ? 'sidebar.unpinLabel' : 'sidebar.pinLabel', { title }),
            text: chat.pinned ? t('sidebar.unpin') : t('sidebar.pin'),
            run: () => onUpdate(chat, { pinned: !chat.pinned }),
          },
          {
            key: 'rename',
            label: t('sidebar.renameLabel', { title }),
            text: t('sidebar.rename'),
            run: () => setEditing('title'),
          },
          {
            key: 'move',
            label: t('sidebar.moveLabel', { title }),
            text: t('sidebar.move'),
            run: () => setEditing('folder'),
          },
          {
            key: 'archive',
            label: t(chat.archived ? 'sidebar.unarchiveLabel' : 'sidebar.archiveLabel', { title }),
            text: chat.archived ? t('sidebar.unarchive') : t('sidebar.archive'),
            run: () => onUpdate(chat, { archived: !chat.archived }),
          },
          {
            key: 'delete',
            label: t('sidebar.deleteLabel', { title }),
            text: t('sidebar.delete'),
            run: () => {
              if (confirm(t('sidebar.deleteConfirm', { title }))) onDelete(chat);
            },
          },
        ]}
      >
        ⋯
      </MenuButton>
    </>
  );
});

/** The list's controls: a new chat, the search and the folder to show (the server-drawn first screen draws them too). */
export function SidebarHead({
  query,
  onQuery,
  view,
  onView,
  folders,
  onNew,
}: {
  query: string;
  onQuery(query: string): void;
  view: string;
  onView(view: string): void;
  folders: readonly string[];
  onNew(): void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <button type="button" className={buttonClass} onClick={onNew}>
        {t('sidebar.newChat')}
      </button>
      <input
        id="conversation-search"
        className={inputClass}
        type="search"
        placeholder={t('sidebar.searchPlaceholder')}
        aria-label={t('sidebar.search')}
        value={query}
        onChange={(e) => onQuery(e.target.value)}
      />
      <label className="flex items-center gap-2 text-sm">
        <span>{t('sidebar.show')}</span>
        <select
          className={`${selectClass} min-w-0 flex-1`}
          aria-label={t('sidebar.showFolder')}
          value={view}
          onChange={(e) => onView(e.target.value)}
        >
          <option value={allChats}>{t('sidebar.allChats')}</option>
          {folders.map((folder) => (
            <option key={folder} value={folder}>
              🗀 {folder}
            </option>
          ))}
          <option value={archivedView}>{t('sidebar.archived')}</option>
        </select>
      </label>
      <datalist id="chat-folders">
        {folders.map((folder) => (
          <option key={folder} value={folder} />
        ))}
      </datalist>
    </>
  );
}

/**
 * Conversations from /api/chats: pages of 100 loaded as the list scrolls, one virtualized list
 * (10,000 chats render ~30 rows). Search filters the loaded titles (loading the remaining pages
 * while a search is typed) and searches message content on the server.
 */
export function ChatSidebar({
  activeId,
  onSelect,
  onNew,
}: {
  activeId: string | null;
  onSelect(id: string, messageId?: string): void;
  onNew(): void;
}) {
  const client = useQueryClient();
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [view, setView] = useState(allChats);
  const [error, setError] = useState<unknown>(null);
  const filter: ChatFilter = useMemo(
    () =>
      view === archivedView
        ? { archived: true }
        : view === allChats
          ? defaultChatFilter
          : { archived: false, folder: view },
    [view],
  );
  const list = useChatList(filter);
  const actions = useChatActions(setError);
  // Deleting the open chat leaves an empty composer rather than a chat that is gone.
  const activeRef = useRef(activeId);
  activeRef.current = activeId;
  const onDelete = useCallback(
    (chat: ChatSummary) => {
      if (chat.id === activeRef.current) onNew();
      actions.remove(chat);
    },
    [actions, onNew],
  );
  const q = query.trim();
  const debounced = useDebounced(q, 250);
  const search = useQuery({
    queryKey: chatKeys.search(debounced),
    queryFn: () => searchChats(debounced),
    enabled: debounced.length >= 2,
    staleTime: 10_000,
  });
  // The server's folder list, plus any a chat just moved into before that list is fetched again.
  const serverFolders = useFolders().data;
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed whenever any list changes
  const folders = useMemo(() => {
    const names = new Set([...(serverFolders ?? []).map((folder) => folder.name), ...knownFolders(client)]);
    if (filter.folder) names.add(filter.folder);
    return [...names].sort((a, b) => a.localeCompare(b));
  }, [client, list.chats, filter.folder, serverFolders]);

  const rows: Row[] = useMemo(() => {
    if (!q) return list.chats.map((chat) => ({ kind: 'chat', key: chat.id, chat }));
    const titles = filterByTitle(list.chats, q);
    const result: Row[] = [{ kind: 'header', key: 'h-titles', label: t('sidebar.titles', { count: titles.length }) }];
    for (const chat of titles) result.push({ kind: 'chat', key: chat.id, chat });
    if (q.length >= 2) {
      result.push({ kind: 'header', key: 'h-messages', label: t('sidebar.inMessages') });
      if (search.isFetching && !search.data)
        result.push({ kind: 'note', key: 'n-searching', label: t('sidebar.searching') });
      else if (search.data?.length === 0) result.push({ kind: 'note', key: 'n-none', label: t('sidebar.noMatches') });
      for (const hit of search.data ?? []) result.push({ kind: 'hit', key: `hit-${hit.messageId}`, hit });
    }
    return result;
  }, [q, list.chats, search.data, search.isFetching, t]);

  const parent = useRef<HTMLDivElement>(null);
  // Stable callbacks: a new function each render would make the virtualizer rebuild 10,000 measurements.
  const estimateSize = useCallback((index: number) => (rows[index]?.kind === 'hit' ? 56 : chatRowHeight), [rows]);
  const getItemKey = useCallback((index: number) => rows[index]?.key ?? index, [rows]);
  // Only the rows in view for the list's first paint, ten more each way from the frame after.
  const overscan = useFirstPaintOverscan(10, rows.length > 0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize,
    getItemKey,
    overscan,
    initialRect: { width: 260, height: 800 },
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const lastVisible = items.at(-1)?.index ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  // Next page when the window nears the end of what is loaded; all pages while a title search is typed.
  useEffect(() => {
    if (!hasNextPage || isFetchingNextPage) return;
    if (q || lastVisible >= rows.length - 30) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastVisible, rows.length, q]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key === '/' && target?.tagName !== 'INPUT' && target?.tagName !== 'TEXTAREA') {
        event.preventDefault();
        document.getElementById('conversation-search')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <nav aria-label={t('sidebar.conversations')} className={chatLayout.sidebarNav}>
      <SidebarHead query={query} onQuery={setQuery} view={view} onView={setView} folders={folders} onNew={onNew} />
      <ErrorBox error={error ?? list.error ?? search.error} />
      <div ref={parent} className={chatLayout.list} data-testid="conversation-list">
        <ul style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            const style = { transform: `translateY(${item.start}px)`, height: item.size };
            if (row.kind === 'header' || row.kind === 'note') {
              return (
                <li
                  key={row.key}
                  className={`absolute top-0 left-0 flex w-full items-end px-1 pb-1 text-xs ${row.kind === 'header' ? 'font-semibold uppercase text-slate-500' : 'text-slate-500'}`}
                  style={style}
                >
                  {row.label}
                </li>
              );
            }
            if (row.kind === 'hit') {
              return (
                <li key={row.key} className="absolute top-0 left-0 w-full" style={style}>
                  <button
                    type="button"
                    className="block h-full w-full overflow-hidden rounded px-1 py-1 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
                    onClick={() => onSelect(row.hit.chatId, row.hit.messageId)}
                  >
                    <span className="block truncate font-medium">{stripMarkdown(row.hit.chatTitle)}</span>
                    <span className="block truncate text-xs text-slate-500">{row.hit.snippet}</span>
                  </button>
                </li>
              );
            }
            const active = row.chat.id === activeId;
            return (
              <li key={row.key} className={`absolute top-0 left-0 ${chatRowClass(active)}`} style={style}>
                <ChatRow
                  chat={row.chat}
                  active={active}
                  onSelect={onSelect}
                  onUpdate={actions.update}
                  onDelete={onDelete}
                />
              </li>
            );
          })}
        </ul>
        {list.isLoading && <p className="p-2 text-sm text-slate-500">{t('common.loading')}</p>}
      </div>
      <p className="text-xs text-slate-500" data-testid="conversation-count">
        {t(filter.archived ? 'sidebar.countArchived' : 'sidebar.count', {
          count: list.chats.length,
          number: `${formatNumber(list.chats.length)}${list.hasNextPage ? '+' : ''}`,
        })}
        {isFetchingNextPage ? ` ${t('sidebar.loadingMore')}` : ''}
      </p>
    </nav>
  );
}
