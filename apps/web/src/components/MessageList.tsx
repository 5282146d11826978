import { useQueries } from '@tanstack/react-query';
import { useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { api } from '../lib/api';
import type { ChatMessage } from '../lib/conversations';
import { useFirstPaintOverscan } from '../lib/first-paint';
import { t } from '../lib/i18n';
import type { StreamText } from '../lib/stream-text';
import { chatLayout } from './chat-layout';
import { Markdown, markdownCache } from './Markdown';
import { MessageMeta } from './MessageMeta';
import { ReadAloudButton } from './ReadAloudButton';
import { stepOfStored, ToolSteps, type ToolStepView } from './ToolSteps';
import { buttonClass, inputClass, secondaryButtonClass } from './ui';

export type StreamStatus = 'waiting' | 'streaming' | 'reconnecting' | 'stopping';

export interface LiveAnswer {
  text: StreamText;
  status: StreamStatus;
  /** The skills the model has called so far (a chat with apps). */
  steps: readonly ToolStepView[];
}

/**
 * A guess at a message's rendered height before it is measured, from the styles in index.css:
 * 24 px lines; paragraphs with 0.4rem margins (collapsing with their neighbours'); lists and
 * headings without; code blocks with 12 px padding and 20 px lines. Close guesses keep the
 * scrollbar and the rows from jumping while a long conversation scrolls into rows never seen.
 */
export function estimateMessageHeight(
  message: Pick<ChatMessage, 'role' | 'content' | 'attachments' | 'toolSteps'>,
  width = 768,
) {
  const charsPerLine = Math.max(20, Math.floor((Math.min(width, 768) - 56) / 8.5));
  const wrapped = (line: string, indent = 0) => 24 * Math.max(1, Math.ceil(line.length / (charsPerLine - indent)));
  const chrome =
    16 +
    24 +
    20 +
    // The meta line (copy, model, time, tokens) under every message.
    20 +
    (message.role === 'user' ? 20 : 0) +
    (message.attachments?.length ? 28 : 0) +
    // A collapsed tool step is one 30 px line with a 4 px gap.
    (message.toolSteps?.length ? message.toolSteps.length * 34 + 4 : 0);
  const lines = message.content.split('\n');
  if (message.role !== 'assistant') return chrome + lines.reduce((sum, line) => sum + wrapped(line), 0);
  // Blocks: [height, margin] where margin is the paragraph's 6.4 px (collapsed with the neighbour's).
  const blocks: Array<[number, number]> = [];
  let current: { kind: 'p' | 'list' | 'code'; height: number } | null = null;
  const close = () => {
    if (current)
      blocks.push([current.kind === 'code' ? current.height + 24 : current.height, current.kind === 'p' ? 6.4 : 0]);
    current = null;
  };
  for (const line of lines) {
    if (current?.kind === 'code') {
      if (line.startsWith('```')) close();
      else current.height += 20;
      continue;
    }
    if (line.startsWith('```')) {
      close();
      current = { kind: 'code', height: 0 };
    } else if (line.trim() === '') close();
    else if (/^\s*([-*+]|\d+\.)\s/.test(line)) {
      if (current?.kind !== 'list') close();
      current ??= { kind: 'list', height: 0 };
      current.height += wrapped(line, 3);
    } else if (/^#{1,6}\s/.test(line)) {
      close();
      blocks.push([32, 8]);
    } else {
      if (current?.kind !== 'p') close();
      current ??= { kind: 'p', height: 0 };
      current.height += wrapped(line);
    }
  }
  close();
  let height = blocks[0]?.[1] ?? 0;
  blocks.forEach(([block, margin], index) => {
    height += block + Math.max(margin, blocks[index + 1]?.[1] ?? (index === blocks.length - 1 ? margin : 0));
  });
  return Math.round(chrome + Math.max(24, height));
}

function AttachmentNames({ ids }: { ids: readonly string[] }) {
  const files = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['file', id],
      queryFn: () => api<{ id: string; name: string }>(`/api/files/${encodeURIComponent(id)}`),
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    })),
  });
  return (
    <ul className="mt-1 flex flex-wrap gap-1" aria-label={t('messages.attachedFiles')}>
      {ids.map((id, index) => {
        const file = files[index];
        const name = file?.data?.name ?? (file?.isError ? t('messages.deletedFile') : '…');
        return (
          <li key={id} className="rounded border border-slate-300 px-2 py-0.5 text-xs dark:border-slate-700">
            📎 {name}
          </li>
        );
      })}
    </ul>
  );
}

/** "‹ 2/3 ›" between the versions of a message (regenerated answers, edited questions). */
export function VersionSwitcher({
  message,
  disabled,
  onSwitch,
}: {
  message: ChatMessage;
  disabled: boolean;
  onSwitch(messageId: string): void;
}) {
  const ids = message.siblingIds ?? [];
  const index = message.siblingIndex ?? ids.indexOf(message.id);
  if (ids.length < 2 || index < 0) return null;
  const previous = ids[index - 1];
  const next = ids[index + 1];
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of buttons, not a form fieldset
    <span role="group" aria-label={t('messages.versions')} className="inline-flex items-center gap-1">
      <button
        type="button"
        className="rounded px-1 hover:bg-slate-200 disabled:opacity-40 dark:hover:bg-slate-800"
        aria-label={t('messages.previousVersion')}
        disabled={disabled || !previous}
        onClick={() => previous && onSwitch(previous)}
      >
        ‹
      </button>
      <span aria-hidden="true">
        {index + 1}/{ids.length}
      </span>
      <span className="sr-only">{t('messages.versionOf', { index: index + 1, total: ids.length })}</span>
      <button
        type="button"
        className="rounded px-1 hover:bg-slate-200 disabled:opacity-40 dark:hover:bg-slate-800"
        aria-label={t('messages.nextVersion')}
        disabled={disabled || !next}
        onClick={() => next && onSwitch(next)}
      >
        ›
      </button>
    </span>
  );
}

const noSwitch = () => {};

/** One stored message (the list's row, and the server-drawn first screen's: first-screen.tsx). */
export const MessageRow = memo(function MessageRow({
  message,
  index,
  isLastAnswer,
  actionsEnabled,
  highlighted,
  onRegenerate,
  onEdit,
  onSwitch,
}: {
  message: ChatMessage;
  index: number;
  isLastAnswer: boolean;
  actionsEnabled: boolean;
  highlighted: boolean;
  onRegenerate(): void;
  onEdit(index: number, text: string): void;
  onSwitch(messageId: string): void;
}) {
  const [editing, setEditing] = useState(false);
  const label =
    message.role === 'user'
      ? t('messages.you')
      : message.role === 'assistant'
        ? t('messages.assistant')
        : t('messages.system');
  const partial = message.status === 'partial';
  const failed = message.status === 'failed';
  const local = message.id.startsWith('local-');
  const steps = useMemo(() => (message.toolSteps ?? []).map(stepOfStored), [message.toolSteps]);
  return (
    <div
      className={`mx-auto max-w-3xl rounded-lg p-3 ${message.role === 'user' ? 'bg-indigo-50 dark:bg-indigo-950' : 'bg-slate-50 dark:bg-slate-900'} ${highlighted ? 'ring-2 ring-amber-400' : ''}`}
    >
      <div className="mb-1 flex flex-wrap gap-2 text-xs font-semibold text-slate-500">
        <span>{label}</span>
        <VersionSwitcher message={message} disabled={!actionsEnabled} onSwitch={onSwitch} />
        {partial && (
          <span className="rounded bg-amber-100 px-1 text-amber-900 dark:bg-amber-900 dark:text-amber-100">
            {t('messages.partial')}
          </span>
        )}
      </div>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const text = String(new FormData(e.currentTarget).get('text') ?? '');
            setEditing(false);
            onEdit(index, text);
          }}
        >
          <textarea
            name="text"
            aria-label={t('messages.editMessage')}
            className={inputClass}
            defaultValue={message.content}
            rows={3}
          />
          <div className="mt-2 flex gap-2">
            <button type="submit" className={buttonClass}>
              {t('messages.saveAsNewVersion')}
            </button>
            <button type="button" className={secondaryButtonClass} onClick={() => setEditing(false)}>
              {t('messages.cancel')}
            </button>
          </div>
        </form>
      ) : message.role === 'assistant' ? (
        <>
          <ToolSteps steps={steps} />
          <Markdown text={message.content} cacheKey={message.id} />
        </>
      ) : (
        <p className="whitespace-pre-wrap break-words">{message.content}</p>
      )}
      {message.attachments && message.attachments.length > 0 && <AttachmentNames ids={message.attachments} />}
      {message.error && (
        <p role={failed ? 'alert' : undefined} className={`mt-1 text-sm ${failed ? 'text-red-600' : 'text-slate-500'}`}>
          {partial ? t('messages.stoppedEarly', { error: message.error }) : message.error}
        </p>
      )}
      {!editing && !local && message.content !== '' && <MessageMeta message={message} />}
      {actionsEnabled && !editing && !local && (
        <div className="mt-1 flex gap-2 text-xs">
          {message.role === 'user' && (
            <button type="button" className="underline" onClick={() => setEditing(true)}>
              {t('messages.edit')}
            </button>
          )}
          {isLastAnswer && (
            <button type="button" className="underline" onClick={onRegenerate}>
              {t('messages.regenerate')}
            </button>
          )}
          {message.role === 'assistant' && message.content.trim() !== '' && <ReadAloudButton text={message.content} />}
        </div>
      )}
    </div>
  );
});

/** The answer being streamed: the only row that re-renders on each (frame-batched) delta. */
function LiveRow({ live, onGrow }: { live: LiveAnswer; onGrow(): void }) {
  const text = useSyncExternalStore(live.text.subscribe, live.text.get);
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the answer as it grows
  useLayoutEffect(() => onGrow(), [text, live.steps]);
  const note =
    live.status === 'waiting'
      ? live.steps.some((step) => step.status === 'running')
        ? t('messages.usingApps')
        : t('messages.thinking')
      : live.status === 'reconnecting'
        ? t('messages.reconnecting')
        : live.status === 'stopping'
          ? t('messages.stopping')
          : null;
  return (
    <div className="mx-auto max-w-3xl rounded-lg bg-slate-50 p-3 dark:bg-slate-900">
      <div className="mb-1 text-xs font-semibold text-slate-500">{t('messages.assistant')}</div>
      <ToolSteps steps={live.steps} />
      <Markdown text={text || '…'} />
      {note && <p className="mt-1 text-xs text-slate-500">{note}</p>}
    </div>
  );
}

function nearBottom(element: HTMLElement | null): boolean {
  if (!element) return true;
  return element.scrollHeight - element.scrollTop - element.clientHeight < 160;
}

/**
 * The open conversation, virtualized: only the rows in view (plus a few) are in the DOM; their
 * Markdown comes from the per-message cache; rows are keyed by message id so measured heights
 * stay with their message. The streaming answer is a separate row fed by `live.text`. A long chat
 * opens with its newest messages: while `olderCount` more are on the server, the first row is a
 * "load older" button, and scrolling near the top loads them too (the view stays where it was).
 */
/** A message row's box inside the list (the list places it; first-screen.tsx stacks them). */
export const messageRowClass = 'w-full px-4 py-2';

/** The list's size until it is measured (happy-dom never measures it). */
const initialRect = { width: 800, height: 800 };

export function MessageList({
  chatId,
  messages,
  live,
  busy,
  focusMessageId,
  onRegenerate,
  onEdit,
  onSwitch = noSwitch,
  olderCount = 0,
  loadingOlder = false,
  onLoadOlder,
}: {
  chatId: string | null;
  messages: readonly ChatMessage[];
  live: LiveAnswer | null;
  busy: boolean;
  focusMessageId: string | null;
  onRegenerate(): void;
  onEdit(index: number, text: string): void;
  /** Show another version of a message (its sibling's branch). */
  onSwitch?(messageId: string): void;
  /** How many older messages of the branch are not loaded yet. */
  olderCount?: number;
  loadingOlder?: boolean;
  onLoadOlder?(): void;
}) {
  const parent = useRef<HTMLDivElement>(null);
  // Row 0 is the "load older" button while older messages are left on the server.
  const lead = olderCount > 0 && onLoadOlder ? 1 : 0;
  const count = lead + messages.length + (live ? 1 : 0);
  // Estimates are computed once per message list (not on every render: 2,000 of them), and the
  // callbacks are stable so the virtualizer does not rebuild its measurements on each render.
  const estimates = useMemo(() => messages.map((message) => estimateMessageHeight(message)), [messages]);
  const estimateSize = useCallback(
    (index: number) => (index < lead ? 56 : (estimates[index - lead] ?? 120)),
    [estimates, lead],
  );
  const getItemKey = useCallback(
    (index: number) => (index < lead ? 'load-older' : (messages[index - lead]?.id ?? 'live-answer')),
    [messages, lead],
  );
  // The rows in view only for the first paint of a chat (fewer answers' Markdown to parse before it).
  const overscan = useFirstPaintOverscan(2, messages.length > 0);
  const virtualizer: Virtualizer<HTMLDivElement, Element> = useVirtualizer({
    count,
    getScrollElement: () => parent.current,
    estimateSize,
    getItemKey,
    overscan,
    initialRect,
    // A chat opens at its newest message (the effect below scrolls there): the first render already
    // draws the rows at the end, by their estimated heights, instead of the oldest loaded rows, whose
    // Markdown was parsed and highlighted for a frame nobody saw. A search hit still scrolls to its row.
    // The end is the last row's bottom less the viewport (initialRect's until measured), where the
    // scroll to the newest lands, not past it.
    initialOffset: () => {
      if (focusMessageId) return 0;
      let end = 0;
      for (let index = 0; index < count; index++) end += estimateSize(index);
      return Math.max(0, end - initialRect.height);
    },
    useFlushSync: false,
  });
  let lastAnswer = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'assistant') {
      lastAnswer = i === messages.length - 1 ? i : -1;
      break;
    }
  }

  // While the browser is idle, parse the answers not yet seen, newest first (the likeliest to be
  // scrolled to), so scrolling back through a long conversation finds their Markdown ready.
  useEffect(() => {
    let cancelled = false;
    let next = messages.length - 1;
    const idle =
      typeof requestIdleCallback === 'function'
        ? requestIdleCallback
        : (callback: IdleRequestCallback) =>
            setTimeout(() => callback({ didTimeout: false, timeRemaining: () => 8 } as IdleDeadline), 50);
    const work = (deadline: IdleDeadline) => {
      if (cancelled) return;
      while (next >= 0 && deadline.timeRemaining() > 3) {
        const message = messages[next--];
        if (message?.role === 'assistant' && !markdownCache.has(message.id, message.content)) {
          markdownCache.get(message.id, message.content);
        }
      }
      if (next >= 0 && next >= messages.length - markdownCache.capacity) idle(work);
    };
    idle(work);
    return () => {
      cancelled = true;
    };
  }, [messages]);

  // Older messages put before those shown keep the view where it was: the scroll position moves
  // down by what they add above it.
  const geometry = useRef({ chatId, firstId: messages[0]?.id, scrollTop: 0, scrollHeight: 0 });
  const firstId = messages[0]?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when another message comes first
  useLayoutEffect(() => {
    const element = parent.current;
    const before = geometry.current;
    if (element && before.chatId === chatId && before.firstId && firstId !== before.firstId) {
      const kept = messages.findIndex((message) => message.id === before.firstId);
      if (kept > 0) element.scrollTop = before.scrollTop + (element.scrollHeight - before.scrollHeight);
    }
  }, [firstId, chatId]);
  const rememberGeometry = () => {
    const element = parent.current;
    geometry.current = {
      chatId,
      firstId,
      scrollTop: element?.scrollTop ?? 0,
      scrollHeight: element?.scrollHeight ?? 0,
    };
  };
  useLayoutEffect(rememberGeometry);

  // A newly opened chat, or a new message at the end, starts at the bottom; a search hit scrolls to
  // its message (loading older messages until it is there).
  const [highlight, setHighlight] = useState<string | null>(null);
  const focusIndex = focusMessageId ? messages.findIndex((m) => m.id === focusMessageId) : -1;
  const lastKey = `${chatId}:${messages.at(-1)?.id}:${live ? 1 : 0}:${focusMessageId}:${focusIndex >= 0}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: run when the chat, its last row or the hit changes
  useEffect(() => {
    if (count === 0) return;
    if (focusIndex >= 0) {
      virtualizer.scrollToIndex(focusIndex + lead, { align: 'center' });
      setHighlight(focusMessageId);
    } else virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [lastKey]);
  const wantsOlder = focusMessageId !== null && focusIndex < 0 && lead > 0 && !loadingOlder;
  // biome-ignore lint/correctness/useExhaustiveDependencies: again after each page (olderCount changes)
  useEffect(() => {
    if (wantsOlder) onLoadOlder?.();
  }, [wantsOlder, onLoadOlder, olderCount]);

  const onScroll = () => {
    rememberGeometry();
    const element = parent.current;
    // Near the top with more to load: load it before the reader gets there.
    if (element && lead > 0 && !loadingOlder && !busy && element.scrollTop < 400) onLoadOlder?.();
  };

  const onGrow = () => {
    if (nearBottom(parent.current)) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  };

  return (
    <div
      ref={parent}
      className={chatLayout.list}
      data-testid="message-list"
      data-older={olderCount}
      onScroll={onScroll}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          if (item.index < lead)
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className="absolute top-0 left-0 w-full px-4 py-2 text-center"
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <button
                  type="button"
                  className={secondaryButtonClass}
                  // Not `disabled` while loading: a keyboard user's focus stays on the button.
                  disabled={busy}
                  aria-disabled={loadingOlder}
                  aria-busy={loadingOlder}
                  onClick={() => {
                    if (!loadingOlder) onLoadOlder?.();
                  }}
                >
                  {loadingOlder ? t('messages.loadingOlder') : t('messages.loadOlder', { count: olderCount })}
                </button>
              </div>
            );
          const index = item.index - lead;
          const message = messages[index];
          return (
            <article
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              aria-label={message?.role === 'user' ? t('messages.you') : t('messages.assistant')}
              className={`absolute top-0 left-0 ${messageRowClass}`}
              // Layout containment: a row's insides never make the browser lay out the other rows.
              style={{ transform: `translateY(${item.start}px)`, contain: 'layout style' }}
            >
              {message ? (
                <MessageRow
                  message={message}
                  index={index}
                  isLastAnswer={index === lastAnswer}
                  actionsEnabled={!busy}
                  highlighted={highlight === message.id}
                  onRegenerate={onRegenerate}
                  onEdit={onEdit}
                  onSwitch={onSwitch}
                />
              ) : live ? (
                <LiveRow live={live} onGrow={onGrow} />
              ) : null}
            </article>
          );
        })}
      </div>
      <p className="sr-only" aria-live="polite">
        {live ? t('messages.answering') : ''}
      </p>
    </div>
  );
}
