/**
 * The chat page's first screen, drawn by the server into the document (apps/server's
 * web-app/first-screen-http.ts loads this file's own build, dist-server/first-screen.js): the sidebar's first
 * chats and the open chat's newest messages, from the same components the app draws them with, so a
 * signed-in reader sees them as soon as the document is in, while the app's code still downloads and
 * starts. It is inert (nothing in it can be clicked, focused or read out); the app's first render
 * replaces it (main.tsx renders into the same root), from the same responses, which the server sends
 * with it (early-requests.ts: takeEarly).
 *
 * Not a hydration: the app's own list is virtualized and measured, this one is a plain stack that
 * opens at its newest message (flex-col-reverse starts a scrolled box at its end).
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderToString } from 'react-dom/server';
import { allChats, ChatRow, chatRowClass, chatRowHeight, SidebarHead } from './components/ChatSidebar';
import { chatLayout } from './components/chat-layout';
import { drawWithoutLazyParts, markdownCache } from './components/Markdown';
import { MessageRow, messageRowClass } from './components/MessageList';
import { buttonClass, inputClass, secondaryButtonClass, selectClass } from './components/ui';
import type { ChatMessage, ChatSummary } from './lib/conversations';
import { i18n, setTimeZone, t } from './lib/i18n';
import { stripMarkdown } from './lib/plain-text';
import { languages } from './lib/preferences';

export {
  chatPagePath,
  firstLoadMeta,
  firstLoadScriptId,
  firstMessagePage,
  messageRangePath,
  viewCookie,
} from './lib/early-requests';

/** About what a 1280 × 800 window shows (the app, virtualized, draws the rows in view); the app draws the rest. */
export const drawnChats = 20;
export const drawnMessages = 6;

export interface FirstScreenInput {
  /** The sidebar's first page (GET /api/chats), or null when it is not drawn. */
  chats: readonly ChatSummary[] | null;
  /** The open chat (the address's ?chat=), if any. */
  chatId: string | null;
  /** Its newest messages, oldest first (GET /api/chats/:id/messages?from=end), or null when not drawn. */
  messages: readonly ChatMessage[] | null;
  /** The page's language and the browser's time zone (the view cookie). */
  language: string;
  timeZone: string;
}

const ignore = () => {};

/** The page's buttons that only have to stand where the app draws them (the screen is inert). */
function buttons(labels: ReadonlyArray<readonly [label: string, className: string]>) {
  return labels.map(([label, className]) => (
    <button key={label} type="button" className={className}>
      {label}
    </button>
  ));
}

function FirstScreen({ chats, chatId, messages }: FirstScreenInput) {
  const chat = chats?.find((entry) => entry.id === chatId);
  const shown = messages?.slice(-drawnMessages) ?? [];
  const offset = (messages?.length ?? 0) - shown.length;
  const last = messages?.at(-1);
  return (
    <div className={chatLayout.page} inert data-first-screen="">
      <aside className={chatLayout.sidebar(false)}>
        <nav aria-label={t('sidebar.conversations')} className={chatLayout.sidebarNav}>
          <SidebarHead query="" onQuery={ignore} view={allChats} onView={ignore} folders={[]} onNew={ignore} />
          <div className={chatLayout.list} data-testid="conversation-list">
            <ul>
              {chats?.slice(0, drawnChats).map((entry) => (
                <li key={entry.id} className={chatRowClass(entry.id === chatId)} style={{ height: chatRowHeight }}>
                  <ChatRow
                    chat={entry}
                    active={entry.id === chatId}
                    onSelect={ignore}
                    onUpdate={ignore}
                    onDelete={ignore}
                  />
                </li>
              ))}
            </ul>
          </div>
        </nav>
      </aside>
      <section className={chatLayout.conversation} aria-label={t('chatPage.chat')}>
        <div className={chatLayout.toolbar}>
          <button type="button" className={`${secondaryButtonClass} md:hidden`}>
            {t('chatPage.chats')}
          </button>
          <label className="flex items-center gap-1 text-sm">
            <span>{t('chatPage.model')}</span>
            <select className={selectClass} aria-label={t('chatPage.model')} />
          </label>
          {chat && <h1 className={chatLayout.title}>{stripMarkdown(chat.title)}</h1>}
          <div className="ml-auto flex items-center gap-1">
            {buttons([
              [t('chatPage.chat'), buttonClass],
              [t('chatPage.images'), secondaryButtonClass],
            ])}
          </div>
        </div>
        {shown.length > 0 ? (
          <div className={`${chatLayout.list} flex flex-col-reverse`} data-testid="message-list">
            {/* Below the rows: a short chat's rows stay at the top, as the app draws them. */}
            <div className="flex-1" />
            {shown
              .map((message, index) => (
                <article
                  key={message.id}
                  aria-label={message.role === 'user' ? t('messages.you') : t('messages.assistant')}
                  className={messageRowClass}
                >
                  <MessageRow
                    message={message}
                    index={offset + index}
                    isLastAnswer={message === last && message.role === 'assistant'}
                    actionsEnabled
                    highlighted={false}
                    onRegenerate={ignore}
                    onEdit={ignore}
                    onSwitch={ignore}
                  />
                </article>
              ))
              .reverse()}
          </div>
        ) : (
          <div className="flex-1" />
        )}
        <div className={chatLayout.composer}>
          <div className={chatLayout.composerInner}>
            <div className="flex gap-2">
              <textarea className={inputClass} rows={2} aria-label={t('chatPage.message')} />
              <div className="flex flex-col gap-1">
                <button type="button" className={buttonClass} disabled>
                  {t('chatPage.send')}
                </button>
              </div>
            </div>
            <div className="flex flex-wrap items-center gap-2">
              {buttons([
                [t('chatPage.settings'), secondaryButtonClass],
                [t('chatPage.compare'), secondaryButtonClass],
              ])}
            </div>
          </div>
        </div>
      </section>
    </div>
  );
}

drawWithoutLazyParts();

/** A time zone Intl knows, else UTC (the cookie is the browser's to write, so anything may come). */
function knownTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

/**
 * The first screen as HTML (React escapes every text; answers' Markdown allows no raw HTML, as in the
 * app). Synchronous: the language and time zone it sets are this call's alone, and set back after it.
 */
export function renderFirstScreen(input: FirstScreenInput): string {
  const language = (languages as readonly string[]).includes(input.language) ? input.language : 'en';
  const previous = i18n.language;
  // The resources are bundled: the change is made before this returns.
  void i18n.changeLanguage(language);
  setTimeZone(knownTimeZone(input.timeZone));
  try {
    return renderToString(
      <QueryClientProvider client={new QueryClient()}>
        <FirstScreen {...input} language={language} />
      </QueryClientProvider>,
    );
  } finally {
    void i18n.changeLanguage(previous);
    setTimeZone(undefined);
    // Nothing kept between requests (or readers): the app's own cache is in the browser.
    markdownCache.clear();
  }
}
