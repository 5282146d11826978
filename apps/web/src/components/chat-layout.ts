/**
 * The chat page's boxes, shared by the page (Chat.tsx, ChatSidebar, MessageList) and the first screen
 * the server draws into the document from the same components (first-screen.tsx): the drawn rows sit
 * where the app then draws its own.
 */
export const chatLayout = {
  page: 'flex h-[calc(100dvh-3rem)]',
  sidebar: (open: boolean) =>
    `${open ? 'fixed inset-y-12 left-0 z-20 w-72 bg-white shadow-lg dark:bg-slate-950' : 'hidden'} border-r border-slate-200 md:static md:block md:w-72 dark:border-slate-800`,
  sidebarNav: 'flex h-full flex-col gap-2 p-2',
  conversation: 'relative flex min-w-0 flex-1 flex-col',
  toolbar: 'flex flex-wrap items-center gap-2 border-b border-slate-200 p-2 dark:border-slate-800',
  title: 'min-w-0 max-w-xs truncate text-sm font-semibold',
  /** A scrolling list: the sidebar's chats, the conversation's messages. */
  list: 'min-h-0 flex-1 overflow-auto',
  composer: 'border-t border-slate-200 p-2 dark:border-slate-800',
  composerInner: 'mx-auto max-w-3xl space-y-2',
} as const;
