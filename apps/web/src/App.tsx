import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, Suspense, useEffect } from 'react';
import { NotificationBell } from './components/NotificationBell';
import { ProjectSwitcher } from './components/ProjectSwitcher';
import { buttonClass, ErrorBoundary, secondaryButtonClass } from './components/ui';
import { api, type Me, setUnauthorizedHandler } from './lib/api';
import { navigate, useLocation } from './lib/router';
import { toggleTheme } from './lib/theme';
import { ForgotPassword, ResetPassword, SignIn, SignUp } from './pages/Auth';
import { Landing } from './pages/Landing';

// Chat (Markdown, highlighting, virtual lists) and the admin console are their own chunks: the landing and
// sign-in pages load without them, and someone who never opens /admin never downloads it.
const loaders = {
  '/chat': () => import('./pages/Chat').then((module) => module.ChatPage),
  '/admin': () => import('./pages/Admin').then((module) => module.AdminPage),
  '/gifts': () => import('./pages/GiftFinder').then((module) => module.GiftFinderPage),
  '/searches': () => import('./pages/Searches').then((module) => module.SearchesPage),
  '/projects': () => import('./pages/Projects').then((module) => module.ProjectsPage),
};
const InvitationPage = lazy(() => import('./pages/Invitation').then((module) => ({ default: module.InvitationPage })));
const SharedChatPage = lazy(() => import('./pages/Shared').then((module) => ({ default: module.SharedChatPage })));

function PageLoadFailed({ error }: { error: unknown }) {
  return (
    <div role="alert" className="mx-auto max-w-xl p-8">
      <h1 className="mb-2 text-xl font-semibold">This page could not be loaded</h1>
      <p className="mb-4 text-sm">
        {error instanceof Error ? error.message : 'The download failed.'} If Switchyard was just updated, reloading
        fetches the new version.
      </p>
      <button type="button" className={buttonClass} onClick={() => location.reload()}>
        Reload
      </button>
    </div>
  );
}

/** React.lazy caches a failed import for good, so a failure becomes a page that offers a reload instead. */
function lazyPage(load: () => Promise<ComponentType>) {
  return lazy(async () => {
    try {
      return { default: await load() };
    } catch (error) {
      return { default: () => <PageLoadFailed error={error} /> };
    }
  });
}

const ChatPage = lazyPage(loaders['/chat']);
const AdminPage = lazyPage(loaders['/admin']);
const GiftFinderPage = lazyPage(loaders['/gifts']);
const SearchesPage = lazyPage(loaders['/searches']);
const ProjectsPage = lazyPage(loaders['/projects']);

/** Starts downloading a page's chunk before the click (hover, focus); the browser caches it for the lazy import. */
function preload(path: string) {
  const load = loaders[path as keyof typeof loaders];
  if (load) void load().catch(() => {});
}

function Link({ to, children }: { to: string; children: React.ReactNode }) {
  return (
    <a
      href={to}
      className="rounded px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
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
  const client = useQueryClient();
  const path = useLocation().split('?')[0] ?? '/';
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await api<Me>('/api/me');
      } catch {
        return null;
      }
    },
  });
  useEffect(() => {
    setUnauthorizedHandler(() => {
      client.setQueryData(['me'], null);
      navigate('/signin');
    });
  }, [client]);
  const user = me.data ?? null;
  const signOut = async () => {
    await api('/api/auth/sign-out', { method: 'POST', json: {} }).catch(() => {});
    client.setQueryData(['me'], null);
    navigate('/');
  };
  const needsUser =
    path === '/chat' || path === '/admin' || path === '/gifts' || path === '/searches' || path === '/projects';
  useEffect(() => {
    if (!me.isLoading && needsUser && !user) navigate('/signin');
  }, [me.isLoading, needsUser, user]);
  // Signed-in people go to chat next; fetch it while they read the page they are on.
  const signedIn = user !== null;
  useEffect(() => {
    if (signedIn) preload('/chat');
  }, [signedIn]);

  let page: React.ReactNode;
  if (path === '/signin') page = <SignIn />;
  else if (path === '/signup') page = <SignUp />;
  else if (path === '/forgot-password') page = <ForgotPassword />;
  else if (path === '/reset-password') page = <ResetPassword />;
  else if (path === '/chat') page = user ? <ChatPage /> : null;
  else if (path === '/gifts') page = user ? <GiftFinderPage /> : null;
  else if (path === '/searches') page = user ? <SearchesPage /> : null;
  else if (path === '/projects') page = user ? <ProjectsPage /> : null;
  else if (path.startsWith('/invitations/'))
    page = <InvitationPage token={decodeURIComponent(path.slice('/invitations/'.length))} signedIn={user !== null} />;
  else if (path === '/admin')
    page = user?.role === 'admin' ? <AdminPage /> : user ? <p className="p-8">Admins only.</p> : null;
  else if (path === '/') page = <Landing signedIn={user !== null} />;
  else if (path.startsWith('/share/'))
    page = <SharedChatPage token={decodeURIComponent(path.slice('/share/'.length))} />;
  else
    page = (
      <p className="p-8">
        Page not found. <Link to="/">Home</Link>
      </p>
    );

  return (
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only">
        Skip to content
      </a>
      {/* One line at any width (the chat below is sized to it): on a phone the bar scrolls sideways. */}
      <header className="flex h-12 items-center gap-1 overflow-x-auto whitespace-nowrap border-b border-slate-200 px-2 dark:border-slate-800">
        <Link to="/">
          <strong>Switchyard</strong>
        </Link>
        {user && <Link to="/chat">Chat</Link>}
        {user && <Link to="/gifts">Gift finder</Link>}
        {user && <Link to="/searches">Saved searches</Link>}
        {user && <Link to="/projects">Projects</Link>}
        {user?.role === 'admin' && <Link to="/admin">Admin</Link>}
        <a className="rounded px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800" href="/docs">
          API docs
        </a>
        <div className="ml-auto flex items-center gap-2">
          <button type="button" className={secondaryButtonClass} onClick={toggleTheme} aria-label="Toggle dark mode">
            ◐
          </button>
          {user ? (
            <>
              <ProjectSwitcher />
              <NotificationBell />
              <span className="hidden text-sm sm:inline">{user.email}</span>
              <button type="button" className={secondaryButtonClass} onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <Link to="/signin">Sign in</Link>
          )}
        </div>
      </header>
      <div id="main">
        <ErrorBoundary key={path}>
          <Suspense
            fallback={
              <p role="status" className="p-8">
                Loading…
              </p>
            }
          >
            {me.isLoading ? <p className="p-8">Loading…</p> : page}
          </Suspense>
        </ErrorBoundary>
      </div>
    </div>
  );
}
