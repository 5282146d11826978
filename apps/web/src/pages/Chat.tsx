import { matchQuery, type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { AppPicker, type AppSelection } from '../components/AppPicker';
import { AttachButton, AttachmentList, useAttachments } from '../components/Attachments';
import { ChatSettings, type ChatSettingsValue, emptyChatSettings } from '../components/ChatSettings';
import { ChatSidebar } from '../components/ChatSidebar';
import { CompareAnswers, type CompareRun, startCompare } from '../components/CompareAnswers';
import { chatLayout } from '../components/chat-layout';
import { type LiveAnswer, MessageList, type StreamStatus } from '../components/MessageList';
import { MicButton } from '../components/MicButton';
import { ShareExport } from '../components/ShareExport';
import { TemplatePicker } from '../components/TemplatePicker';
import { stepOfCall, type ToolStepView, withResult } from '../components/ToolSteps';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { ApiError, api, type ChatModel } from '../lib/api';
import { focusChoices, useWorkspaceApps } from '../lib/apps';
import { followSession, startChat, stopChat } from '../lib/chat';
import { setAllMessages, setMessages, useMessages } from '../lib/chat-queries';
import {
  activateBranch,
  type ChatMessage,
  type ChatSummary,
  chatKeys,
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
import { whenPainted } from '../lib/first-paint';
import { t as translate, useTranslation } from '../lib/i18n';
import { importLegacyConversations } from '../lib/legacy-import';
import { stripMarkdown } from '../lib/plain-text';
import { isSendKey, usePreferences } from '../lib/preferences';
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
  /** Shown until the stored messages are fetched back; null when regenerating (the question is stored). */
  user: ChatMessage | null;
  /** How many stored messages stay shown above it (an edit or a regenerate replaces the rest). */
  keep: number;
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
  const { t } = useTranslation();
  const { sendKey } = usePreferences();
  const models = useQuery({
    queryKey: ['chat-models'],
    queryFn: whenPainted(() => api<{ models: ChatModel[]; default: string }>('/v1/chat/models')),
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
  const fileLimits = useQuery({ queryKey: ['file-limits'], queryFn: whenPainted(fetchFileLimits), staleTime: 60_000 });
  const attachments = useAttachments(fileLimits.data ?? {});
  const composer = useRef<HTMLTextAreaElement>(null);
  const turnRef = useRef<Turn | null>(null);
  turnRef.current = turn;
  const messagesQuery = useMessages(activeId);
  const stored = messagesQuery.data?.messages;
  // How many older messages of the branch are not loaded (the list loads them as it scrolls up).
  const olderCount = messagesQuery.data?.before ?? 0;
  const olderRef = useRef(olderCount);
  olderRef.current = olderCount;

  useEffect(() => writeAddress(activeId), [activeId]);

  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    legacyImport ??= importLegacyConversations();
    legacyImport
      .then((count) => {
        if (count === 0) return;
        setNotice(translate('chatPage.movedLegacy', { count }));
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
  const apps = useWorkspaceApps();
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
  const [compare, setCompare] = useState<CompareRun | null>(null);
  const comparing = compare && compare.chatId === activeId ? compare : null;
  const messages = useMemo(() => {
    const list = stored ?? [];
    if (pending) return [...list.slice(0, pending.keep), ...(pending.user ? [pending.user] : [])];
    if (comparing && !comparing.done) return [...list.slice(0, comparing.keep), comparing.user];
    return list;
  }, [stored, pending, comparing]);
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

  /**
   * Sends `text` (after the optimistic user message is shown) and follows the answer to its end. The
   * first `storedCount` stored messages stay; `branch` makes it a new version (edit: parentId;
   * regenerate: answerTo, with no new question).
   */
  const run = async (
    text: string,
    files: string[],
    chatId: string | null,
    storedCount: number,
    branch: { parentId?: string | null; answerTo?: string } = {},
  ) => {
    const controller = new AbortController();
    // storedCount counts loaded messages; the server counts from the branch's first message.
    const older = chatId === activeId ? olderRef.current : 0;
    const first: Turn = {
      chatId,
      sessionId: null,
      answerId: null,
      keep: storedCount,
      user: branch.answerTo ? null : { id: localId(), role: 'user', content: text, attachments: files },
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
        ...(branch.answerTo ? { answerTo: branch.answerTo } : { message: text }),
        ...(branch.parentId !== undefined ? { parentId: branch.parentId } : {}),
        ...(chatId ? {} : newChatSettings()),
        ...(files.length > 0 && !branch.answerTo ? { attachments: files } : {}),
        ...(appSelection.apps.length > 0 ? { apps: appSelection.apps } : {}),
        ...(appSelection.focus ? { focus: appSelection.focus } : {}),
      });
      targetChat = started.chatId;
      if (!chatId) {
        setSettingsDirty(false);
        const now = new Date().toISOString();
        const summary: ChatSummary = {
          id: started.chatId,
          title: titleFrom(text),
          model: chosenModel || null,
          folder: null,
          tags: [],
          pinned: false,
          archived: false,
          systemPrompt: settings.systemPrompt || null,
          parameters: settings.parameters,
          assistantId: settings.assistantId,
          activeLeafId: null,
          projectId: chatId ? null : projectId,
          createdBy: '',
          createdAt: now,
          updatedAt: now,
        };
        updateChatLists(client, (data, filter) => upsertChat(data, filter, summary));
        setAllMessages(client, started.chatId, []);
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
          tail = await fetchMessagePage(targetChat, older + storedCount);
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

  const busy = turn !== null || (comparing !== null && !comparing.done);
  const busyRef = useRef(busy);
  busyRef.current = busy;
  const runRef = useRef(run);
  runRef.current = run;

  // The settings the next answer uses: the open chat's, or those chosen for a chat not started yet.
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [settingsDraft, setSettingsDraft] = useState<ChatSettingsValue>(emptyChatSettings);
  const [settingsDirty, setSettingsDirty] = useState(false);
  const [savingSettings, setSavingSettings] = useState(false);
  const settings: ChatSettingsValue =
    settingsDirty || !chat
      ? settingsDraft
      : {
          systemPrompt: chat.systemPrompt ?? '',
          parameters: chat.parameters ?? {},
          assistantId: chat.assistantId ?? null,
        };
  const newChatSettings = () => ({
    ...(settings.systemPrompt.trim() ? { systemPrompt: settings.systemPrompt } : {}),
    ...(Object.keys(settings.parameters).length > 0 ? { parameters: settings.parameters } : {}),
    ...(settings.assistantId ? { assistantId: settings.assistantId } : {}),
  });
  const saveSettings = async () => {
    if (!activeId) return;
    setSavingSettings(true);
    try {
      const row = await api<ChatSummary>(`/api/chats/${encodeURIComponent(activeId)}`, {
        method: 'PATCH',
        json: {
          systemPrompt: settings.systemPrompt || null,
          parameters: settings.parameters,
          assistantId: settings.assistantId,
        },
      });
      updateChatLists(client, (data, filter) => upsertChat(data, filter, row));
      setSettingsDirty(false);
    } catch (caught) {
      setError(caught);
    } finally {
      setSavingSettings(false);
    }
  };
  // Another chat opened: its own settings show (unsaved changes to the previous one are dropped).
  useEffect(() => {
    if (activeId) setSettingsDirty(false);
  }, [activeId]);

  const [compareMode, setCompareMode] = useState(false);
  const [compareModels, setCompareModels] = useState<string[]>([]);
  const [dragging, setDragging] = useState(false);
  const send = () => {
    const text = draft.trim();
    if (!text || busy || attachments.busy) return;
    const files = attachments.readyIds;
    setDraft('');
    attachments.clear();
    if (compareMode && compareModels.length >= 2) {
      void runCompare(text, files);
      return;
    }
    void run(text, files, activeId, stored?.length ?? 0);
  };

  /** Sends the message to two or three models at once; each answer streams in its own column. */
  const runCompare = async (text: string, files: string[]) => {
    setError(null);
    const keep = stored?.length ?? 0;
    try {
      const run = await startCompare(
        {
          ...(activeId ? { chatId: activeId } : newChatSettings()),
          models: compareModels,
          message: text,
          ...(files.length > 0 ? { attachments: files } : {}),
        },
        { id: localId(), role: 'user', content: text, attachments: files },
        keep,
        setCompare,
      );
      if (!activeId) {
        setSettingsDirty(false);
        const row = await getChat(run.chatId);
        updateChatLists(client, (data, filter) => upsertChat(data, filter, row));
        setAllMessages(client, run.chatId, []);
        openedFirst.current = true;
        setActiveId(run.chatId);
      }
      await run.finished;
      await client.invalidateQueries({ queryKey: chatKeys.messages(run.chatId) });
      refreshChat(run.chatId).catch(setError);
    } catch (caught) {
      setError(caught);
      setDraft((current) => current || text);
    }
  };

  const keepCompared = async (messageId: string) => {
    if (!compare) return;
    try {
      const branch = await activateBranch(compare.chatId, messageId);
      if (branch.length < messagePageSize) setAllMessages(client, compare.chatId, branch);
      else await client.invalidateQueries({ queryKey: chatKeys.messages(compare.chatId) });
      setCompare(null);
    } catch (caught) {
      setError(caught);
    }
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

  // Regenerate and edit keep every version: the server adds a sibling (a new answer to the same
  // question, or a new question beside the edited one) and the chat shows its branch.
  const regenerate = useCallback(() => {
    const list = stored ?? [];
    const lastUser = list.map((message) => message.role).lastIndexOf('user');
    const question = list[lastUser];
    if (!question || !activeId || busyRef.current) return;
    void runRef.current(question.content, question.attachments ?? [], activeId, lastUser + 1, {
      answerTo: question.id,
    });
  }, [stored, activeId]);
  const edit = useCallback(
    (index: number, text: string) => {
      const original = (stored ?? [])[index];
      if (!text.trim() || !original || !activeId || busyRef.current) return;
      void runRef.current(text.trim(), original.attachments ?? [], activeId, index, {
        parentId: original.parentId ?? null,
      });
    },
    [stored, activeId],
  );
  const switchVersion = useCallback(
    async (messageId: string) => {
      if (!activeId || busyRef.current) return;
      try {
        const branch = await activateBranch(activeId, messageId);
        if (branch.length < messagePageSize) setAllMessages(client, activeId, branch);
        else await client.invalidateQueries({ queryKey: chatKeys.messages(activeId) });
      } catch (caught) {
        setError(caught);
      }
    },
    [activeId, client],
  );

  // Stable, so the memoized rows do not re-render with the page.
  const onSwitch = useCallback((messageId: string) => void switchVersion(messageId), [switchVersion]);
  const loadOlderMessages = messagesQuery.loadOlder;
  const loadOlder = useCallback(() => {
    if (!busyRef.current) loadOlderMessages().catch(setError);
  }, [loadOlderMessages]);

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
    const created = await api<ChatSummary>('/api/chats', {
      method: 'POST',
      json: { title: t('chatPage.voiceRecordingTitle') },
    });
    updateChatLists(client, (data, filter) => upsertChat(data, filter, created));
    setAllMessages(client, created.id, []);
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
    <div className={chatLayout.page}>
      <aside className={chatLayout.sidebar(sidebarOpen)}>
        <ChatSidebar activeId={activeId} onSelect={select} onNew={newChat} />
      </aside>
      <section
        className={chatLayout.conversation}
        aria-label={t('chatPage.chat')}
        // Files can be dropped or pasted anywhere on the chat, not only on the Attach button.
        onDragOver={(event) => {
          if (panel !== 'chat' || busy || !event.dataTransfer.types.includes('Files')) return;
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={(event) => {
          setDragging(false);
          if (panel !== 'chat' || busy || event.dataTransfer.files.length === 0) return;
          event.preventDefault();
          attachments.add(Array.from(event.dataTransfer.files));
        }}
        onPaste={(event) => {
          if (panel !== 'chat' || busy || event.clipboardData.files.length === 0) return;
          event.preventDefault();
          attachments.add(Array.from(event.clipboardData.files));
        }}
      >
        {dragging && (
          <div
            className="pointer-events-none absolute inset-0 z-10 flex items-center justify-center border-4 border-dashed border-indigo-400 bg-indigo-50/80 text-lg font-semibold dark:bg-indigo-950/80"
            data-testid="drop-overlay"
          >
            {t('chatPage.dropFiles')}
          </div>
        )}
        <div className={chatLayout.toolbar}>
          <button
            type="button"
            className={`${secondaryButtonClass} md:hidden`}
            aria-expanded={sidebarOpen}
            onClick={() => setSidebarOpen(!sidebarOpen)}
          >
            {t('chatPage.chats')}
          </button>
          <label className="flex items-center gap-1 text-sm">
            <span>{t('chatPage.model')}</span>
            <select
              className={selectClass}
              value={chosenModel}
              onChange={(e) => setModel(e.target.value)}
              aria-label={t('chatPage.model')}
            >
              {models.data?.models.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.id}
                  {entry.label ? ` (${entry.label})` : ''}
                  {entry.vision ? ` · ${t('chatPage.seesImages')}` : ''}
                </option>
              ))}
            </select>
          </label>
          {chat && (
            <h1 className={chatLayout.title} title={stripMarkdown(chat.title)}>
              {stripMarkdown(chat.title)}
              {chat.folder ? (
                <span className="ml-1 font-normal text-slate-500">
                  {t('chatPage.inFolder', { folder: chat.folder })}
                </span>
              ) : null}
            </h1>
          )}
          <div className="ml-auto flex items-center gap-1">
            {activeId && !missing && panel === 'chat' && <ShareExport key={activeId} chatId={activeId} />}
            <div role="tablist" aria-label={t('chatPage.panel')} className="flex gap-1">
              {(['chat', 'images'] as const).map((name) => (
                <button
                  key={name}
                  type="button"
                  role="tab"
                  aria-selected={panel === name}
                  className={panel === name ? buttonClass : secondaryButtonClass}
                  onClick={() => setPanel(name)}
                >
                  {name === 'chat' ? t('chatPage.chat') : t('chatPage.images')}
                </button>
              ))}
            </div>
          </div>
        </div>
        {panel === 'images' ? (
          <ImagePanel
            chatId={activeId && !missing ? activeId : null}
            onPosted={(chatId) => {
              void client.invalidateQueries({ queryKey: chatKeys.messages(chatId) });
              void client.invalidateQueries({ queryKey: chatKeys.lists });
              if (chatId !== activeId) select(chatId);
            }}
          />
        ) : (
          <>
            {missing ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500">{t('chatPage.missing')}</div>
            ) : messagesQuery.isLoading ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500" role="status">
                {t('chatPage.loadingMessages')}
              </div>
            ) : messages.length === 0 && !live ? (
              <div className="flex flex-1 items-center justify-center p-4 text-slate-500">
                {sendKey === 'enter' ? t('composer.emptyHintEnter') : t('composer.emptyHintCtrlEnter')}
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
                onSwitch={onSwitch}
                olderCount={olderCount}
                loadingOlder={messagesQuery.loadingOlder}
                onLoadOlder={loadOlder}
              />
            )}
            {comparing && (
              <CompareAnswers run={comparing} onKeep={(id) => void keepCompared(id)} onClose={() => setCompare(null)} />
            )}
            <div className={chatLayout.composer}>
              <div className={chatLayout.composerInner}>
                <ErrorBox error={error ?? (missing ? null : messagesQuery.error)} />
                {notice && (
                  <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
                    {notice}
                  </p>
                )}
                {settingsOpen && (
                  <ChatSettings
                    value={settings}
                    onChange={(value) => {
                      setSettingsDraft(value);
                      setSettingsDirty(true);
                    }}
                    model={chosenModel}
                    onModel={setModel}
                    {...(activeId ? { onSave: () => void saveSettings(), saving: savingSettings } : {})}
                  />
                )}
                {compareMode && (
                  <fieldset className="flex flex-wrap items-center gap-2 rounded-md border border-slate-200 p-2 text-sm dark:border-slate-800">
                    <legend className="px-1 font-medium">{t('chatPage.compareLegend')}</legend>
                    {models.data?.models.map((entry) => {
                      const checked = compareModels.includes(entry.id);
                      return (
                        <label key={entry.id} className="flex items-center gap-1">
                          <input
                            type="checkbox"
                            checked={checked}
                            disabled={!checked && compareModels.length >= 3}
                            onChange={() =>
                              setCompareModels((current) =>
                                checked ? current.filter((id) => id !== entry.id) : [...current, entry.id],
                              )
                            }
                          />
                          {entry.id}
                        </label>
                      );
                    })}
                    {compareModels.length < 2 && (
                      <span className="text-xs text-slate-500">{t('chatPage.pickTwo')}</span>
                    )}
                  </fieldset>
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
                    aria-label={t('chatPage.message')}
                    placeholder={
                      sendKey === 'enter' ? t('composer.placeholderEnter') : t('composer.placeholderCtrlEnter')
                    }
                    aria-keyshortcuts={sendKey === 'enter' ? 'Enter' : 'Control+Enter'}
                    value={draft}
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => {
                      if (isSendKey(e.nativeEvent, sendKey)) {
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
                        {t('chatPage.stop')}
                      </button>
                    ) : (
                      <button
                        type="submit"
                        className={buttonClass}
                        disabled={!draft.trim() || attachments.busy}
                        title={attachments.busy ? t('chatPage.waitingAttachments') : undefined}
                      >
                        {t('chatPage.send')}
                      </button>
                    )}
                  </div>
                </form>
                <div className="flex flex-wrap items-center gap-2">
                  <AttachButton attachments={attachments} disabled={busy} />
                  <TemplatePicker onInsert={insertText} />
                  <AppPicker value={appSelection} onChange={setAppSelection} disabled={busy} />
                  <MicButton onTranscript={insertText} disabled={busy} ensureChat={ensureChat} onPosted={voicePosted} />
                  <button
                    type="button"
                    className={secondaryButtonClass}
                    aria-expanded={settingsOpen}
                    onClick={() => setSettingsOpen(!settingsOpen)}
                  >
                    {t('chatPage.settings')}
                  </button>
                  <button
                    type="button"
                    className={compareMode ? buttonClass : secondaryButtonClass}
                    aria-pressed={compareMode}
                    disabled={busy}
                    onClick={() => setCompareMode(!compareMode)}
                  >
                    {t('chatPage.compare')}
                  </button>
                  {attachments.busy && (
                    <span className="text-xs text-slate-500">{t('chatPage.preparingAttachments')}</span>
                  )}
                </div>
              </div>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
