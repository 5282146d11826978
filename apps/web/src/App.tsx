import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { ErrorBoundary, secondaryButtonClass } from './components/ui';
import { api, type Me, setUnauthorizedHandler } from './lib/api';
import { navigate, useLocation } from './lib/router';
import { toggleTheme } from './lib/theme';
import { AdminPage } from './pages/Admin';
import { ForgotPassword, ResetPassword, SignIn, SignUp } from './pages/Auth';
import { ChatPage } from './pages/Chat';
import { Landing } from './pages/Landing';

function Link({ to, children }: { to: string; children: React.ReactNode }) {
  return (
    <a
      href={to}
      className="rounded px-2 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800"
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
  const needsUser = path === '/chat' || path === '/admin';
  useEffect(() => {
    if (!me.isLoading && needsUser && !user) navigate('/signin');
  }, [me.isLoading, needsUser, user]);

  let page: React.ReactNode;
  if (path === '/signin') page = <SignIn />;
  else if (path === '/signup') page = <SignUp />;
  else if (path === '/forgot-password') page = <ForgotPassword />;
  else if (path === '/reset-password') page = <ResetPassword />;
  else if (path === '/chat') page = user ? <ChatPage /> : null;
  else if (path === '/admin')
    page = user?.role === 'admin' ? <AdminPage /> : user ? <p className="p-8">Admins only.</p> : null;
  else if (path === '/') page = <Landing signedIn={user !== null} />;
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
      <header className="flex h-12 items-center gap-1 border-b border-slate-200 px-2 dark:border-slate-800">
        <Link to="/">
          <strong>Switchyard</strong>
        </Link>
        {user && <Link to="/chat">Chat</Link>}
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
        <ErrorBoundary key={path}>{me.isLoading ? <p className="p-8">Loading…</p> : page}</ErrorBoundary>
      </div>
    </div>
  );
}
