import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Markdown } from '../components/Markdown';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { api, type ChatModel, describeError } from '../lib/api';
import { streamChat } from '../lib/chat';
import {
  type ChatMessage,
  type ConversationStore,
  type ConversationSummary,
  createLocalStore,
  newId,
  sortAndFilter,
  titleFrom,
} from '../lib/conversations';
import { ImagePanel } from './Images';

let sharedStore: ConversationStore | null = null;
const store = () => {
  sharedStore ??= createLocalStore();
  return sharedStore;
};

export function Sidebar({
  conversations,
  activeId,
  onSelect,
  onNew,
  conversationStore,
}: {
  conversations: readonly ConversationSummary[];
  activeId: string | null;
  onSelect(id: string): void;
  onNew(): void;
  conversationStore: ConversationStore;
}) {
  const [query, setQuery] = useState('');
  const [renaming, setRenaming] = useState<string | null>(null);
  const list = useMemo(() => sortAndFilter(conversations, query), [conversations, query]);
  const parent = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: list.length,
    getScrollElement: () => parent.current,
    estimateSize: () => 40,
    overscan: 10,
    initialRect: { width: 260, height: 800 },
  });
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
    <nav aria-label="Conversations" className="flex h-full flex-col gap-2 p-2">
      <button type="button" className={buttonClass} onClick={onNew}>
        New chat
      </button>
      <input
        id="conversation-search"
        className={inputClass}
        type="search"
        placeholder="Search (/)"
        aria-label="Search conversations"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div ref={parent} className="min-h-0 flex-1 overflow-auto" data-testid="conversation-list">
        <ul style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const conversation = list[item.index];
            if (!conversation) return null;
            const active = conversation.id === activeId;
            return (
              <li
                key={conversation.id}
                className={`absolute left-0 flex w-full items-center gap-1 rounded px-1 text-sm ${active ? 'bg-indigo-100 dark:bg-indigo-900' : ''}`}
                style={{ top: item.start, height: item.size }}
              >
                {renaming === conversation.id ? (
                  <input
                    className={inputClass}
                    aria-label="New title"
                    defaultValue={conversation.title}
                    // biome-ignore lint/a11y/noAutofocus: focus follows the rename action
                    autoFocus
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') {
                        conversationStore.upsert({
                          ...conversation,
                          title: e.currentTarget.value || conversation.title,
                        });
                        setRenaming(null);
                      } else if (e.key === 'Escape') setRenaming(null);
                    }}
                    onBlur={() => setRenaming(null)}
                  />
                ) : (
                  <>
                    <button
                      type="button"
                      className="min-w-0 flex-1 truncate py-2 text-left"
                      aria-current={active ? 'page' : undefined}
                      onClick={() => onSelect(conversation.id)}
                    >
                      {conversation.pinned ? '📌 ' : ''}
                      {conversation.title}
                    </button>
                    <button
                      type="button"
                      className="px-1 opacity-60 hover:opacity-100"
                      aria-label={`${conversation.pinned ? 'Unpin' : 'Pin'} ${conversation.title}`}
                      onClick={() => conversationStore.upsert({ ...conversation, pinned: !conversation.pinned })}
                    >
                      {conversation.pinned ? '★' : '☆'}
                    </button>
                    <button
                      type="button"
                      className="px-1 opacity-60 hover:opacity-100"
                      aria-label={`Rename ${conversation.title}`}
                      onClick={() => setRenaming(conversation.id)}
                    >
                      ✎
                    </button>
                    <button
                      type="button"
                      className="px-1 opacity-60 hover:opacity-100"
                      aria-label={`Delete ${conversation.title}`}
                      onClick={() => {
                        if (confirm(`Delete "${conversation.title}"?`)) conversationStore.remove(conversation.id);
                      }}
                    >
                      ✕
                    </button>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      </div>
      <p className="text-xs text-slate-500">{list.length.toLocaleString()} conversations</p>
    </nav>
  );
}

function MessageList({
  messages,
  streaming,
  onRegenerate,
  onEdit,
}: {
  messages: readonly ChatMessage[];
  streaming: boolean;
  onRegenerate(): void;
  onEdit(index: number, text: string): void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => parent.current,
    estimateSize: () => 80,
    overscan: 6,
    initialRect: { width: 800, height: 800 },
  });
  const last = messages.length - 1;
  const lastContent = messages[last]?.content;
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the stream as it grows
  useEffect(() => {
    if (last >= 0) virtualizer.scrollToIndex(last, { align: 'end' });
  }, [last, lastContent]);
  return (
    <div ref={parent} className="min-h-0 flex-1 overflow-auto" data-testid="message-list" aria-live="polite">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const message = messages[item.index];
          if (!message) return null;
          return (
            <article
              key={message.id}
              data-index={item.index}
              ref={virtualizer.measureElement}
              aria-label={message.role === 'user' ? 'You' : 'Assistant'}
              className="absolute left-0 w-full px-4 py-2"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <div
                className={`mx-auto max-w-3xl rounded-lg p-3 ${message.role === 'user' ? 'bg-indigo-50 dark:bg-indigo-950' : 'bg-slate-50 dark:bg-slate-900'}`}
              >
                <div className="mb-1 text-xs font-semibold text-slate-500">
                  {message.role === 'user' ? 'You' : 'Assistant'}
                </div>
                {editing === item.index ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      const text = new FormData(e.currentTarget).get('text');
                      setEditing(null);
                      onEdit(item.index, String(text ?? ''));
                    }}
                  >
                    <textarea
                      name="text"
                      aria-label="Edit message"
                      className={inputClass}
                      defaultValue={message.content}
                      rows={3}
                    />
                    <div className="mt-2 flex gap-2">
                      <button type="submit" className={buttonClass}>
                        Save and resend
                      </button>
                      <button type="button" className={secondaryButtonClass} onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </div>
                  </form>
                ) : message.role === 'user' ? (
                  <p className="whitespace-pre-wrap">{message.content}</p>
                ) : (
                  <Markdown text={message.content || (streaming && item.index === last ? '…' : '')} />
                )}
                {message.error && (
                  <p role="alert" className="mt-1 text-sm text-red-600">
                    {message.error}
                  </p>
                )}
                {!streaming && editing === null && (
                  <div className="mt-1 flex gap-2 text-xs">
                    {message.role === 'user' && (
                      <button type="button" className="underline" onClick={() => setEditing(item.index)}>
                        Edit
                      </button>
                    )}
                    {message.role === 'assistant' && item.index === last && (
                      <button type="button" className="underline" onClick={onRegenerate}>
                        Regenerate
                      </button>
                    )}
                  </div>
                )}
              </div>
            </article>
          );
        })}
      </div>
    </div>
  );
}

export function ChatPage() {
  const conversationStore = store();
  const conversations = useSyncExternalStore(conversationStore.subscribe, conversationStore.list);
  const models = useQuery({
    queryKey: ['chat-models'],
    queryFn: () => api<{ models: ChatModel[]; default: string }>('/v1/chat/models'),
  });
  const [model, setModel] = useState<string>('');
  const [activeId, setActiveId] = useState<string | null>(
    () => sortAndFilter(conversationStore.list(), '')[0]?.id ?? null,
  );
  const [messages, setMessages] = useState<ChatMessage[]>(() => (activeId ? conversationStore.messages(activeId) : []));
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [streaming, setStreaming] = useState(false);
  const [panel, setPanel] = useState<'chat' | 'images'>('chat');
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const chosenModel = model || models.data?.default || '';

  const select = (id: string | null) => {
    abort.current?.abort();
    setActiveId(id);
    setMessages(id ? conversationStore.messages(id) : []);
    setError(null);
    setSidebarOpen(false);
  };

  const run = useCallback(
    async (history: ChatMessage[]) => {
      const id = activeId ?? newId();
      if (!activeId) setActiveId(id);
      const existing = conversationStore.list().find((entry) => entry.id === id);
      const summary: ConversationSummary = {
        id,
        title: existing?.title ?? titleFrom(history[0]?.content ?? ''),
        pinned: existing?.pinned ?? false,
        updatedAt: Date.now(),
        model: chosenModel,
      };
      const answer: ChatMessage = { id: newId(), role: 'assistant', content: '' };
      let current = [...history, answer];
      setMessages(current);
      conversationStore.upsert(summary, history);
      setError(null);
      setStreaming(true);
      const controller = new AbortController();
      abort.current = controller;
      try {
        await streamChat(
          chosenModel,
          history,
          {
            onDelta(text) {
              answer.content += text;
              current = [...history, { ...answer }];
              setMessages(current);
            },
          },
          controller.signal,
        );
      } catch (caught) {
        if ((caught as Error).name !== 'AbortError') {
          setError(caught);
          if (!answer.content) current = history;
          else current = [...history, { ...answer, error: describeError(caught).detail }];
          setMessages(current);
        }
      } finally {
        setStreaming(false);
        abort.current = null;
        conversationStore.upsert({ ...summary, updatedAt: Date.now() }, current);
      }
    },
    [activeId, chosenModel, conversationStore],
  );

  const send = () => {
    const text = draft.trim();
    if (!text || streaming) return;
    setDraft('');
    void run([...messages, { id: newId(), role: 'user', content: text }]);
  };
  const stop = () => abort.current?.abort();
  const regenerate = () => {
    const lastUser = messages.map((m) => m.role).lastIndexOf('user');
    if (lastUser >= 0) void run(messages.slice(0, lastUser + 1));
  };
  const edit = (index: number, text: string) => {
    const original = messages[index];
    if (!original || !text.trim()) return;
    void run([...messages.slice(0, index), { ...original, content: text }]);
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && abort.current) stop();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <div className="flex h-[calc(100dvh-3rem)]">
      <aside
        className={`${sidebarOpen ? 'fixed inset-y-12 left-0 z-20 w-72 bg-white shadow-lg dark:bg-slate-950' : 'hidden'} border-r border-slate-200 md:static md:block md:w-72 dark:border-slate-800`}
      >
        <Sidebar
          conversations={conversations}
          activeId={activeId}
          onSelect={select}
          onNew={() => select(null)}
          conversationStore={conversationStore}
        />
      </aside>
      <section className="flex min-w-0 flex-1 flex-col" aria-label="Chat">
        <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 p-2 dark:border-slate-800">
          <button
            type="button"
            className={`${secondaryButtonClass} md:hidden`}
            aria-expanded={sidebarOpen}
            onClick={() => setSidebarOpen(!sidebarOpen)}
          >
            Chats
          </button>
          <label className="flex items-center gap-1 text-sm">
            <span>Model</span>
            <select
              className={selectClass}
              value={chosenModel}
              onChange={(e) => setModel(e.target.value)}
              aria-label="Model"
            >
              {models.data?.models.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.id} ({entry.label})
                </option>
              ))}
            </select>
          </label>
          <div role="tablist" aria-label="Panel" className="ml-auto flex gap-1">
            {(['chat', 'images'] as const).map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                aria-selected={panel === name}
                className={panel === name ? buttonClass : secondaryButtonClass}
                onClick={() => setPanel(name)}
              >
                {name === 'chat' ? 'Chat' : 'Images'}
              </button>
            ))}
          </div>
        </div>
        {panel === 'images' ? (
          <ImagePanel />
        ) : (
          <>
            {messages.length === 0 ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500">
                Ask anything. Ctrl+Enter sends, Esc stops, / searches.
              </div>
            ) : (
              <MessageList messages={messages} streaming={streaming} onRegenerate={regenerate} onEdit={edit} />
            )}
            <div className="border-t border-slate-200 p-2 dark:border-slate-800">
              <div className="mx-auto max-w-3xl space-y-2">
                <ErrorBox error={error} />
                <form
                  className="flex gap-2"
                  onSubmit={(e) => {
                    e.preventDefault();
                    send();
                  }}
                >
                  <textarea
                    ref={composer}
                    className={inputClass}
                    rows={2}
                    aria-label="Message"
                    placeholder="Message (Ctrl+Enter to send)"
                    value={draft}
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                        e.preventDefault();
                        send();
                      }
                    }}
                  />
                  {streaming ? (
                    <button type="button" className={secondaryButtonClass} onClick={stop}>
                      Stop
                    </button>
                  ) : (
                    <button type="submit" className={buttonClass} disabled={!draft.trim()}>
                      Send
                    </button>
                  )}
                </form>
              </div>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
