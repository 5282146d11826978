import { matchQuery, type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { AppPicker, type AppSelection } from '../components/AppPicker';
import { AttachButton, AttachmentList, useAttachments } from '../components/Attachments';
import { ChatSidebar } from '../components/ChatSidebar';
import { type LiveAnswer, MessageList, type StreamStatus } from '../components/MessageList';
import { MicButton } from '../components/MicButton';
import { ShareExport } from '../components/ShareExport';
import { TemplatePicker } from '../components/TemplatePicker';
import { stepOfCall, type ToolStepView, withResult } from '../components/ToolSteps';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { ApiError, api, type ChatModel } from '../lib/api';
import { appsQueryKey, fetchApps, focusChoices } from '../lib/apps';
import { followSession, startChat, stopChat } from '../lib/chat';
import { setMessages, useMessages } from '../lib/chat-queries';
import {
  type ChatMessage,
  type ChatSummary,
  chatKeys,
  deleteMessages,
  fetchMessagePage,
  findChat,
  getChat,
  localId,
  messagePageSize,
  titleFrom,
  updateChatLists,
  upsertChat,
} from '../lib/conversations';
import { fetchFileLimits } from '../lib/files';
import { importLegacyConversations } from '../lib/legacy-import';
import { currentProjectId } from '../lib/projects';
import { createStreamText } from '../lib/stream-text';
import { ImagePanel } from './Images';

/** The open chat is in the address (?chat=…), so a reload or a shared tab opens the same one. */
function chatFromAddress(): string | null {
  return new URLSearchParams(location.search).get('chat');
}
function writeAddress(chatId: string | null): void {
  const url = new URL(location.href);
  if (chatId) url.searchParams.set('chat', chatId);
  else url.searchParams.delete('chat');
  if (url.toString() !== location.href) history.replaceState(history.state, '', url);
}

/** Once per page load (React may mount twice in development): conversations left in localStorage by older versions. */
let legacyImport: Promise<number> | null = null;

interface Turn {
  /** The chat the answer belongs to (null until start answers for a new chat). */
  chatId: string | null;
  sessionId: string | null;
  /** The id the answer is stored under (from start). */
  answerId: string | null;
  /** Shown until the stored messages are fetched back. */
  user: ChatMessage;
  status: StreamStatus;
  /** The skills the model called so far (with apps or a focus mode). */
  steps: readonly ToolStepView[];
  stopRequested: boolean;
  controller: AbortController;
}

/**
 * Calls `listener` when a chat list's data changes, and on nothing else. The whole cache's events
 * include a query being added while another component renders (useQuery builds it then, e.g. the
 * model-kinds query of the first Read aloud button); a state update from there is React's "Cannot
 * update a component while rendering a different component". Data changes arrive from fetches and
 * setQueryData, never from a render.
 */
function subscribeToChatLists(client: QueryClient, listener: () => void): () => void {
  return client.getQueryCache().subscribe((event) => {
    if ((event.type === 'updated' || event.type === 'removed') && matchQuery({ queryKey: chatKeys.lists }, event.query))
      listener();
  });
}

export function ChatPage() {
  const client = useQueryClient();
  const models = useQuery({
    queryKey: ['chat-models'],
    queryFn: () => api<{ models: ChatModel[]; default: string }>('/v1/chat/models'),
  });
  const [model, setModel] = useState('');
  const [activeId, setActiveId] = useState<string | null>(chatFromAddress);
  const [focusMessageId, setFocusMessageId] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [appSelection, setAppSelection] = useState<AppSelection>({ apps: [], focus: '' });
  const [error, setError] = useState<unknown>(null);
  const [turn, setTurn] = useState<Turn | null>(null);
  const [panel, setPanel] = useState<'chat' | 'images'>('chat');
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [streamText] = useState(() => createStreamText());
  const fileLimits = useQuery({ queryKey: ['file-limits'], queryFn: fetchFileLimits, staleTime: 60_000 });
  const attachments = useAttachments(fileLimits.data ?? {});
  const composer = useRef<HTMLTextAreaElement>(null);
  const turnRef = useRef<Turn | null>(null);
  turnRef.current = turn;
  const messagesQuery = useMessages(activeId);
  const stored = messagesQuery.data;

  useEffect(() => writeAddress(activeId), [activeId]);

  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    legacyImport ??= importLegacyConversations();
    legacyImport
      .then((count) => {
        if (count === 0) return;
        setNotice(`Moved ${count} conversation${count === 1 ? '' : 's'} from this browser to your account.`);
        void client.invalidateQueries({ queryKey: chatKeys.lists });
      })
      .catch((caught: unknown) => {
        legacyImport = null; // tried again on the next visit; the conversations stay in this browser
        setError(caught);
      });
  }, [client]);

  // With no chat in the address, open the most recent one once the list arrives.
  const openedFirst = useRef(activeId !== null);
  useEffect(() => {
    if (openedFirst.current) return;
    const openFirst = () => {
      if (openedFirst.current) return;
      const list = client.getQueryData<{ pages: ChatSummary[][] }>(chatKeys.list({ archived: false }));
      if (!list) return;
      openedFirst.current = true;
      const first = list.pages[0]?.[0];
      if (first && !turnRef.current) setActiveId((current) => current ?? first.id);
    };
    openFirst();
    return subscribeToChatLists(client, openFirst);
  }, [client]);

  const chat: ChatSummary | undefined = useSyncExternalStore(
    useCallback((listener: () => void) => subscribeToChatLists(client, listener), [client]),
    () => (activeId ? findChat(client, activeId) : undefined),
  );
  // The model picked here, else the open chat's (when still offered), else the server's default.
  const chatModel = chat?.model && models.data?.models.some((entry) => entry.id === chat.model) ? chat.model : null;
  const apps = useQuery({ queryKey: appsQueryKey, queryFn: fetchApps, staleTime: 60_000, retry: false });
  // A focus mode's preferred model applies unless a model was picked here (as on /v1/chat).
  const focusModel = appSelection.focus
    ? focusChoices(apps.data ?? []).find((choice) => choice.value === appSelection.focus)?.model
    : null;
  const offeredFocusModel =
    focusModel && models.data?.models.some((entry) => entry.id === focusModel) ? focusModel : null;
  const chosenModel = model || offeredFocusModel || chatModel || models.data?.default || '';
  // The local question and the live answer show until the stored answer arrives, never beside it.
  const settled = useMemo(
    () => turn?.answerId != null && (stored ?? []).some((message) => message.id === turn.answerId),
    [stored, turn?.answerId],
  );
  const pending = turn && turn.chatId === activeId && !settled ? turn : null;
  const messages = useMemo(() => {
    const list = stored ?? [];
    return pending ? [...list, pending.user] : list;
  }, [stored, pending]);
  const live: LiveAnswer | null = pending ? { text: streamText, status: pending.status, steps: pending.steps } : null;

  const select = useCallback(
    (id: string | null, messageId?: string) => {
      const current = turnRef.current;
      if (current && current.chatId !== id) {
        // Stop listening; the answer goes on on the server and is there when the chat is opened again.
        current.controller.abort();
        if (current.chatId) void client.invalidateQueries({ queryKey: chatKeys.messages(current.chatId) });
      }
      setActiveId(id);
      setFocusMessageId(messageId ?? null);
      setError(null);
      setSidebarOpen(false);
      openedFirst.current = true;
    },
    [client],
  );

  const newChat = useCallback(() => select(null), [select]);

  const refreshChat = async (chatId: string) => {
    const row = await getChat(chatId);
    updateChatLists(client, (data, filter) => upsertChat(data, filter, row));
  };

  /** Sends `text` (after the optimistic user message is shown) and follows the answer to its end. */
  const run = async (text: string, files: string[], chatId: string | null, storedCount: number) => {
    const controller = new AbortController();
    const first: Turn = {
      chatId,
      sessionId: null,
      answerId: null,
      user: { id: localId(), role: 'user', content: text, attachments: files },
      status: 'waiting',
      steps: [],
      stopRequested: false,
      controller,
    };
    const update = (change: Partial<Turn>) => {
      const next = { ...(turnRef.current ?? first), ...change };
      turnRef.current = next;
      setTurn(next);
    };
    streamText.reset();
    turnRef.current = first;
    setTurn(first);
    setError(null);
    let targetChat = chatId;
    try {
      const projectId = currentProjectId();
      const started = await startChat({
        ...(chatId ? { chatId } : projectId ? { projectId } : {}),
        ...(chosenModel ? { model: chosenModel } : {}),
        message: text,
        ...(files.length > 0 ? { attachments: files } : {}),
        ...(appSelection.apps.length > 0 ? { apps: appSelection.apps } : {}),
        ...(appSelection.focus ? { focus: appSelection.focus } : {}),
      });
      targetChat = started.chatId;
      if (!chatId) {
        const now = new Date().toISOString();
        const summary: ChatSummary = {
          id: started.chatId,
          title: titleFrom(text),
          model: chosenModel || null,
          folder: null,
          tags: [],
          pinned: false,
          archived: false,
          projectId: chatId ? null : projectId,
          createdBy: '',
          createdAt: now,
          updatedAt: now,
        };
        updateChatLists(client, (data, filter) => upsertChat(data, filter, summary));
        client.setQueryData<ChatMessage[]>(chatKeys.messages(started.chatId), []);
        openedFirst.current = true;
        // Unless another chat was opened meanwhile (which stopped listening to this one).
        if (!controller.signal.aborted) setActiveId(started.chatId);
      }
      const stopEarly = turnRef.current?.stopRequested === true;
      update({
        chatId: started.chatId,
        sessionId: started.sessionId,
        answerId: started.messageId,
        status: stopEarly ? 'stopping' : 'streaming',
      });
      if (stopEarly) void stopChat(started.sessionId).catch(() => controller.abort());
      const result = await followSession(
        started.sessionId,
        {
          onDelta: (delta) => streamText.append(delta),
          onToolCall: (call) => update({ steps: [...(turnRef.current?.steps ?? []), stepOfCall(call)] }),
          onToolResult: (result) => update({ steps: withResult(turnRef.current?.steps ?? [], result) }),
          onReconnect: () => update({ status: 'reconnecting' }),
          onResumed: () => {
            if (turnRef.current?.status === 'reconnecting') update({ status: 'streaming' });
          },
        },
        { signal: controller.signal },
      );
      if (result.error) setError(new ApiError(502, result.error.code, result.error.message));
    } catch (caught) {
      if ((caught as Error).name !== 'AbortError') {
        setError(caught);
        if (targetChat === chatId && !turnRef.current?.sessionId) {
          // Refused before anything was stored (rate limit, model, quota…): the draft comes back.
          setDraft((current) => current || text);
        }
      }
    } finally {
      streamText.flush();
      let tail: ChatMessage[] | null = null;
      if (targetChat) {
        try {
          tail = await fetchMessagePage(targetChat, storedCount);
        } catch (caught) {
          setError(caught);
        }
      }
      // What the server stored (the question, the answer with its status) replaces the local copies;
      // the list hides those as soon as the stored answer is there (see `settled`), whichever lands first.
      if (targetChat && tail) {
        const stored = tail;
        setMessages(client, targetChat, (old) => [...old.slice(0, storedCount), ...stored]);
      }
      turnRef.current = null;
      setTurn(null);
      streamText.reset();
      if (targetChat) {
        if (tail?.length === messagePageSize)
          void client.invalidateQueries({ queryKey: chatKeys.messages(targetChat) });
        refreshChat(targetChat).catch(setError);
      }
    }
  };

  const busy = turn !== null;
  const send = () => {
    const text = draft.trim();
    if (!text || busy || attachments.busy) return;
    const files = attachments.readyIds;
    setDraft('');
    attachments.clear();
    void run(text, files, activeId, stored?.length ?? 0);
  };

  const stop = async () => {
    const current = turnRef.current;
    if (!current) return;
    turnRef.current = { ...current, stopRequested: true, status: 'stopping' };
    setTurn(turnRef.current);
    if (!current.sessionId) return; // sent once start answers
    try {
      await stopChat(current.sessionId);
    } catch (caught) {
      setError(caught);
      current.controller.abort();
    }
  };

  // Regenerate and edit-and-resend: the server keeps one line of messages, so the messages from the
  // edited one (or the last question and its answer) are deleted, then the text is sent again.
  const resend = async (from: number, text: string) => {
    if (!activeId || !stored || busy) return;
    const original = stored[from];
    if (!original) return;
    const removed = stored.slice(from);
    setMessages(client, activeId, (old) => old.slice(0, from));
    try {
      await deleteMessages(
        activeId,
        removed.map((message) => message.id),
      );
    } catch (caught) {
      setError(caught);
      void client.invalidateQueries({ queryKey: chatKeys.messages(activeId) });
      return;
    }
    void run(text, original.attachments ?? [], activeId, from);
  };
  const resendRef = useRef(resend);
  resendRef.current = resend;
  const regenerate = useCallback(() => {
    const list = stored ?? [];
    const lastUser = list.map((message) => message.role).lastIndexOf('user');
    const question = list[lastUser];
    if (question) void resendRef.current(lastUser, question.content);
  }, [stored]);
  const edit = useCallback((index: number, text: string) => {
    if (text.trim()) void resendRef.current(index, text.trim());
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && turnRef.current) void stop();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const insertText = (text: string) => {
    const element = composer.current;
    if (!element) return setDraft((current) => current + text);
    const start = element.selectionStart ?? draft.length;
    const end = element.selectionEnd ?? draft.length;
    setDraft(draft.slice(0, start) + text + draft.slice(end));
    requestAnimationFrame(() => {
      element.focus();
      element.setSelectionRange(start + text.length, start + text.length);
    });
  };

  // A long voice recording is posted to the open chat (a new one when none is open) by its job.
  const ensureChat = async (): Promise<string> => {
    if (activeId) return activeId;
    const created = await api<ChatSummary>('/api/chats', { method: 'POST', json: { title: 'Voice recording' } });
    updateChatLists(client, (data, filter) => upsertChat(data, filter, created));
    client.setQueryData<ChatMessage[]>(chatKeys.messages(created.id), []);
    openedFirst.current = true;
    setActiveId(created.id);
    return created.id;
  };
  const voicePosted = (chatId: string) => {
    void client.invalidateQueries({ queryKey: chatKeys.messages(chatId) });
    refreshChat(chatId).catch(setError);
  };

  const missing = messagesQuery.error instanceof ApiError && messagesQuery.error.status === 404;

  return (
    <div className="flex h-[calc(100dvh-3rem)]">
      <aside
        className={`${sidebarOpen ? 'fixed inset-y-12 left-0 z-20 w-72 bg-white shadow-lg dark:bg-slate-950' : 'hidden'} border-r border-slate-200 md:static md:block md:w-72 dark:border-slate-800`}
      >
        <ChatSidebar activeId={activeId} onSelect={select} onNew={newChat} />
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
          {chat && (
            <h1 className="min-w-0 max-w-xs truncate text-sm font-semibold" title={chat.title}>
              {chat.title}
              {chat.folder ? <span className="ml-1 font-normal text-slate-500">in {chat.folder}</span> : null}
            </h1>
          )}
          <div className="ml-auto flex items-center gap-1">
            {activeId && !missing && panel === 'chat' && <ShareExport key={activeId} chatId={activeId} />}
            <div role="tablist" aria-label="Panel" className="flex gap-1">
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
        </div>
        {panel === 'images' ? (
          <ImagePanel />
        ) : (
          <>
            {missing ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500">
                This chat does not exist any more.
              </div>
            ) : messagesQuery.isLoading ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500" role="status">
                Loading messages…
              </div>
            ) : messages.length === 0 && !live ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500">
                Ask anything. Ctrl+Enter sends, Esc stops, / searches.
              </div>
            ) : (
              <MessageList
                chatId={activeId}
                messages={messages}
                live={live}
                busy={busy}
                focusMessageId={focusMessageId}
                onRegenerate={regenerate}
                onEdit={edit}
              />
            )}
            <div className="border-t border-slate-200 p-2 dark:border-slate-800">
              <div className="mx-auto max-w-3xl space-y-2">
                <ErrorBox error={error ?? (missing ? null : messagesQuery.error)} />
                {notice && (
                  <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
                    {notice}
                  </p>
                )}
                <AttachmentList attachments={attachments} />
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
                  <div className="flex flex-col gap-1">
                    {busy ? (
                      <button
                        type="button"
                        className={secondaryButtonClass}
                        onClick={() => void stop()}
                        disabled={turn?.stopRequested}
                      >
                        Stop
                      </button>
                    ) : (
                      <button
                        type="submit"
                        className={buttonClass}
                        disabled={!draft.trim() || attachments.busy}
                        title={attachments.busy ? 'Waiting for attachments to be ready' : undefined}
                      >
                        Send
                      </button>
                    )}
                  </div>
                </form>
                <div className="flex flex-wrap items-center gap-2">
                  <AttachButton attachments={attachments} disabled={busy} />
                  <TemplatePicker onInsert={insertText} />
                  <AppPicker value={appSelection} onChange={setAppSelection} disabled={busy} />
                  <MicButton onTranscript={insertText} disabled={busy} ensureChat={ensureChat} onPosted={voicePosted} />
                  {attachments.busy && <span className="text-xs text-slate-500">Preparing attachments…</span>}
                </div>
              </div>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
