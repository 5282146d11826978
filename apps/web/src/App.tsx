import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, Suspense, useEffect, useState } from 'react';
import { NotificationBell } from './components/NotificationBell';
import { ProjectSwitcher } from './components/ProjectSwitcher';
import { buttonClass, ErrorBoundary, secondaryButtonClass } from './components/ui';
import { api, setUnauthorizedHandler } from './lib/api';
import { meQuery } from './lib/first-load';
import { useReleaseAfterPaint } from './lib/first-paint';
import { t, useTranslation } from './lib/i18n';
import { toggleTheme } from './lib/preferences';
import { navigate, useLocation } from './lib/router';
import { ForgotPassword, ResetPassword, SignIn, SignUp } from './pages/Auth';
import { Landing } from './pages/Landing';

// Chat (Markdown, highlighting, virtual lists) and the admin console are their own chunks: the landing and
// sign-in pages load without them, and someone who never opens /admin never downloads it.
const loaders = {
  '/chat': track(() => import('./pages/Chat').then((module) => module.ChatPage)),
  '/admin': track(() => import('./pages/Admin').then((module) => module.AdminPage)),
  '/gifts': track(() => import('./pages/GiftFinder').then((module) => module.GiftFinderPage)),
  '/searches': track(() => import('./pages/Searches').then((module) => module.SearchesPage)),
  '/settings': track(() => import('./pages/Settings').then((module) => module.SettingsPage)),
  '/projects': track(() => import('./pages/Projects').then((module) => module.ProjectsPage)),
  '/gallery': track(() => import('./pages/Gallery').then((module) => module.GalleryPage)),
  '/usage': track(() => import('./pages/Usage').then((module) => module.UsagePage)),
};
const InvitationPage = lazy(() => import('./pages/Invitation').then((module) => ({ default: module.InvitationPage })));
const SharedChatPage = lazy(() => import('./pages/Shared').then((module) => ({ default: module.SharedChatPage })));

function PageLoadFailed({ error }: { error: unknown }) {
  const { t } = useTranslation();
  return (
    <div role="alert" className="mx-auto max-w-xl p-8">
      <h1 className="mb-2 text-xl font-semibold">{t('app.loadFailedTitle')}</h1>
      <p className="mb-4 text-sm">
        {error instanceof Error ? error.message : t('app.downloadFailed')} {t('app.reloadHint')}
      </p>
      <button type="button" className={buttonClass} onClick={() => location.reload()}>
        {t('app.reload')}
      </button>
    </div>
  );
}

/**
 * While a page's code or the account is on its way: a spinner and what is coming, centred where the
 * page will be (after sign-up this was a bare "Loading…" in the corner).
 */
export function PageLoading({ what }: { what?: string }) {
  return (
    <div role="status" className="flex min-h-[50dvh] flex-col items-center justify-center gap-3 p-8 text-slate-500">
      <span
        aria-hidden="true"
        className="h-8 w-8 animate-spin rounded-full border-4 border-slate-200 border-t-indigo-600 motion-reduce:animate-none dark:border-slate-700 dark:border-t-indigo-400"
      />
      <span>{what ?? t('common.loading')}</span>
    </div>
  );
}

// biome-ignore lint/suspicious/noExplicitAny: pages take their own props
type AnyPage = ComponentType<any>;

/** A page's loader that also remembers the page once its code has run (`loaded`). */
interface PageLoader<Page extends AnyPage> {
  (): Promise<Page>;
  loaded?: Page;
}

function track<Page extends AnyPage>(load: () => Promise<Page>): PageLoader<Page> {
  const loader: PageLoader<Page> = () =>
    load().then((page) => {
      loader.loaded = page;
      return page;
    });
  return loader;
}

/**
 * React.lazy caches a failed import for good, so a failure becomes a page that offers a reload instead.
 * A page whose code has already run (usePageCode waits for it on a first load) is handed to React.lazy
 * settled: a promise, even a resolved one, makes the first render suspend and show the Suspense
 * fallback, and React then holds the page back until 300 ms after the fallback appeared (measured in
 * Chromium: the chat's first render 870 -> 633 ms median with this, and highlight.js, meant for after
 * the first rows, loaded in that wait).
 */
function lazyPage<Page extends AnyPage>(load: PageLoader<Page>) {
  return lazy((): Promise<{ default: Page }> => {
    const loaded = load.loaded;
    if (loaded) {
      // A thenable that calls back at once: React.lazy takes the page without suspending.
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what React.lazy reads synchronously
      const settled = { then: (resolve: (module: { default: Page }) => void) => resolve({ default: loaded }) };
      return settled as unknown as Promise<{ default: Page }>;
    }
    return load().then(
      (page) => ({ default: page }),
      (error: unknown) => ({ default: (() => <PageLoadFailed error={error} />) as unknown as Page }),
    );
  });
}

const ChatPage = lazyPage(loaders['/chat']);
const AdminPage = lazyPage(loaders['/admin']);
const GiftFinderPage = lazyPage(loaders['/gifts']);
const SearchesPage = lazyPage(loaders['/searches']);
const SettingsPage = lazyPage(loaders['/settings']);
const ProjectsPage = lazyPage(loaders['/projects']);
const GalleryPage = lazyPage(loaders['/gallery']);
const UsagePage = lazyPage(loaders['/usage']);

/**
 * Whether the code of the page at `path` has run (always true for a page that is not split out). Until
 * then its placeholder is drawn as part of the page, not as the Suspense fallback: React holds back
 * content that replaces a fallback until 300 ms after the fallback appeared, so a first load whose
 * account check answered before the page's code had run showed its rows up to 300 ms late.
 */
function usePageCode(path: string): boolean {
  const loader = (loaders as Record<string, PageLoader<AnyPage> | undefined>)[path];
  const [settled, setSettled] = useState<string | null>(null);
  useEffect(() => {
    if (!loader || loader.loaded) return;
    let live = true;
    // A failed download settles too: the lazy page then shows its error and a reload button.
    const done = () => {
      if (live) setSettled(path);
    };
    loader().then(done, done);
    return () => {
      live = false;
    };
  }, [loader, path]);
  return !loader || loader.loaded !== undefined || settled === path;
}

/**
 * Starts downloading a page's chunk before the click (hover, focus); the browser caches it for the lazy
 * import. Settles (never rejects) once the page's code has run or failed to arrive.
 */
export function preload(path: string): Promise<void> {
  const load = loaders[path as keyof typeof loaders];
  return load
    ? load().then(
        () => {},
        () => {},
      )
    : Promise.resolve();
}

function Link({ to, children, current }: { to: string; children: React.ReactNode; current?: boolean }) {
  return (
    <a
      href={to}
      aria-current={current ? 'page' : undefined}
      className="rounded px-2 py-1 text-sm hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800"
      onMouseEnter={() => preload(to)}
      onFocus={() => preload(to)}
      onClick={(event) => {
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function App() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const path = useLocation().split('?')[0] ?? '/';
  const me = useQuery(meQuery);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      client.setQueryData(['me'], null);
      navigate('/signin');
    });
  }, [client]);
  const user = me.data ?? null;
  const pageCode = usePageCode(path);
  const signOut = async () => {
    await api('/api/auth/sign-out', { method: 'POST', json: {} }).catch(() => {});
    client.setQueryData(['me'], null);
    navigate('/');
  };
  const needsUser = ['/chat', '/admin', '/gifts', '/searches', '/settings', '/projects', '/gallery', '/usage'].includes(
    path,
  );
  useEffect(() => {
    if (!me.isLoading && needsUser && !user) navigate('/signin');
  }, [me.isLoading, needsUser, user]);
  // Signed-in people go to chat next; fetch it while they read the page they are on.
  const signedIn = user !== null;
  useEffect(() => {
    if (signedIn) void preload('/chat');
  }, [signedIn]);

  // The requests the page's first paint does not need go out once a page (not a placeholder) is drawn.
  useReleaseAfterPaint(!me.isLoading && pageCode);

  let page: React.ReactNode;
  if (path === '/signin') page = <SignIn />;
  else if (path === '/signup') page = <SignUp />;
  else if (path === '/forgot-password') page = <ForgotPassword />;
  else if (path === '/reset-password') page = <ResetPassword />;
  else if (path === '/chat') page = user ? <ChatPage /> : null;
  else if (path === '/gifts') page = user ? <GiftFinderPage /> : null;
  else if (path === '/searches') page = user ? <SearchesPage /> : null;
  else if (path === '/settings') page = user ? <SettingsPage me={user} /> : null;
  else if (path === '/projects') page = user ? <ProjectsPage /> : null;
  else if (path === '/gallery') page = user ? <GalleryPage /> : null;
  else if (path === '/usage') page = user ? <UsagePage /> : null;
  else if (path.startsWith('/invitations/'))
    page = <InvitationPage token={decodeURIComponent(path.slice('/invitations/'.length))} signedIn={user !== null} />;
  else if (path === '/admin')
    page = user?.role === 'admin' ? <AdminPage /> : user ? <p className="p-8">{t('app.adminsOnly')}</p> : null;
  else if (path === '/') page = <Landing signedIn={user !== null} />;
  else if (path.startsWith('/share/'))
    page = <SharedChatPage token={decodeURIComponent(path.slice('/share/'.length))} />;
  else
    page = (
      <p className="p-8">
        {t('app.notFound')} <Link to="/">{t('app.home')}</Link>
      </p>
    );

  return (
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only">
        {t('app.skipToContent')}
      </a>
      {/* One line at any width (the chat below is sized to it): on a phone the bar scrolls sideways.
          `relative`: the screen-reader-only labels inside are positioned against the bar, not the page,
          so they never make the whole page wider than a phone. */}
      <header className="relative flex h-12 items-center gap-1 overflow-x-auto whitespace-nowrap border-b border-slate-200 px-2 dark:border-slate-800">
        <nav aria-label={t('nav.main')} className="flex items-center gap-1">
          <Link to="/" current={path === '/'}>
            <strong>Switchyard</strong>
          </Link>
          {user && (
            <Link to="/chat" current={path === '/chat'}>
              {t('nav.chat')}
            </Link>
          )}
          {user && (
            <Link to="/gallery" current={path === '/gallery'}>
              {t('gallery.nav')}
            </Link>
          )}
          {user && (
            <Link to="/gifts" current={path === '/gifts'}>
              {t('nav.gifts')}
            </Link>
          )}
          {user && (
            <Link to="/searches" current={path === '/searches'}>
              {t('nav.searches')}
            </Link>
          )}
          {user && (
            <Link to="/projects" current={path === '/projects'}>
              {t('nav.projects')}
            </Link>
          )}
          {user?.role === 'admin' && (
            <Link to="/admin" current={path === '/admin'}>
              {t('nav.admin')}
            </Link>
          )}
          <a
            className="hidden rounded px-2 py-1 text-sm hover:bg-slate-100 sm:inline dark:hover:bg-slate-800"
            href="/docs"
          >
            {t('nav.apiDocs')}
          </a>
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <button
            type="button"
            className={secondaryButtonClass}
            onClick={toggleTheme}
            aria-label={t('nav.toggleTheme')}
          >
            ◐
          </button>
          {user ? (
            <>
              <ProjectSwitcher />
              <NotificationBell />
              <Link to="/settings" current={path === '/settings'}>
                <span aria-hidden="true">⚙</span>
                <span className="sr-only sm:not-sr-only sm:ml-1">{t('nav.settings')}</span>
              </Link>
              <span className="hidden text-sm md:inline">{user.email}</span>
              <button type="button" className={secondaryButtonClass} onClick={signOut}>
                {t('nav.signOut')}
              </button>
            </>
          ) : (
            <Link to="/signin">{t('nav.signIn')}</Link>
          )}
        </div>
      </header>
      <div id="main">
        <ErrorBoundary key={path}>
          <Suspense fallback={<PageLoading what={pageLoadingText(path)} />}>
            {me.isLoading ? (
              <PageLoading what={t('app.loadingAccount')} />
            ) : page && !pageCode ? (
              <PageLoading what={pageLoadingText(path)} />
            ) : (
              page
            )}
          </Suspense>
        </ErrorBoundary>
      </div>
    </div>
  );
}

/** What the spinner says while a page's code downloads: the page's name, not a bare "Loading…". */
function pageLoadingText(path: string): string {
  switch (path) {
    case '/chat':
      return t('app.loadingChat');
    case '/admin':
      return t('app.loadingAdmin');
    case '/settings':
      return t('app.loadingSettings');
    default:
      return t('common.loading');
  }
}
