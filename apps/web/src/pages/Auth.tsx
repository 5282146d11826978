import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass } from '../components/ui';
import { api } from '../lib/api';
import { navigate } from '../lib/router';

interface AuthConfig {
  emailAndPassword: { signUp: boolean; passwordReset: string | false };
  socialProviders: string[];
}

function useAuthConfig() {
  return useQuery({ queryKey: ['auth-config'], queryFn: () => api<AuthConfig>('/api/auth-config') });
}

function Card({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="mx-auto max-w-sm px-4 py-12">
      <h1 className="mb-6 text-2xl font-semibold">{title}</h1>
      {children}
    </main>
  );
}

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, onSubmit };
}

function SocialButtons() {
  const config = useAuthConfig();
  const providers = config.data?.socialProviders ?? [];
  if (providers.length === 0) return null;
  return (
    <div className="mt-6 space-y-2">
      {providers.map((provider) => (
        <button
          key={provider}
          type="button"
          className={`${buttonClass} w-full bg-slate-800`}
          onClick={async () => {
            const result = await api<{ url?: string }>('/api/auth/sign-in/social', {
              method: 'POST',
              json: { provider, callbackURL: '/chat' },
            });
            if (result.url) location.href = result.url;
          }}
        >
          Continue with {provider[0]?.toUpperCase()}
          {provider.slice(1)}
        </button>
      ))}
    </div>
  );
}

export function SignIn() {
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, onSubmit } = useSubmit(async () => {
    await api('/api/auth/sign-in/email', { method: 'POST', json: { email, password } });
    await client.invalidateQueries({ queryKey: ['me'] });
    navigate('/chat');
  });
  return (
    <Card title="Sign in">
      <form className="space-y-4" onSubmit={onSubmit}>
        <Field label="Email">
          <input
            className={inputClass}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </Field>
        <Field label="Password">
          <input
            className={inputClass}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <ErrorBox error={error} />
        <button type="submit" className={`${buttonClass} w-full`} disabled={busy}>
          Sign in
        </button>
      </form>
      <SocialButtons />
      <p className="mt-6 text-sm">
        <a
          className="underline"
          href="/signup"
          onClick={(e) => {
            e.preventDefault();
            navigate('/signup');
          }}
        >
          Create an account
        </a>{' '}
        ·{' '}
        <a
          className="underline"
          href="/forgot-password"
          onClick={(e) => {
            e.preventDefault();
            navigate('/forgot-password');
          }}
        >
          Forgot password?
        </a>
      </p>
    </Card>
  );
}

export function SignUp() {
  const client = useQueryClient();
  const config = useAuthConfig();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, onSubmit } = useSubmit(async () => {
    await api('/api/auth/sign-up/email', { method: 'POST', json: { name, email, password } });
    await client.invalidateQueries({ queryKey: ['me'] });
    navigate('/chat');
  });
  if (config.data && !config.data.emailAndPassword.signUp) {
    return (
      <Card title="Sign up">
        <p>Public sign-up is closed on this server; ask an administrator for an account.</p>
      </Card>
    );
  }
  return (
    <Card title="Create an account">
      <form className="space-y-4" onSubmit={onSubmit}>
        <Field label="Name">
          <input
            className={inputClass}
            autoComplete="name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <Field label="Email">
          <input
            className={inputClass}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </Field>
        <Field label="Password">
          <input
            className={inputClass}
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <ErrorBox error={error} />
        <button type="submit" className={`${buttonClass} w-full`} disabled={busy}>
          Sign up
        </button>
      </form>
      <SocialButtons />
    </Card>
  );
}

export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { error, busy, onSubmit } = useSubmit(async () => {
    await api('/api/auth/request-password-reset', { method: 'POST', json: { email, redirectTo: '/reset-password' } });
    setSent(true);
  });
  return (
    <Card title="Reset your password">
      {sent ? (
        <p role="status">If that address has an account, a reset link is on its way.</p>
      ) : (
        <form className="space-y-4" onSubmit={onSubmit}>
          <Field label="Email">
            <input
              className={inputClass}
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </Field>
          <ErrorBox error={error} />
          <button type="submit" className={`${buttonClass} w-full`} disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
    </Card>
  );
}

export function ResetPassword() {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const { error, busy, onSubmit } = useSubmit(async () => {
    await api('/api/auth/reset-password', { method: 'POST', json: { token, newPassword: password } });
    setDone(true);
  });
  if (!token) {
    return (
      <Card title="Choose a new password">
        <p role="alert">This link has no token; request a new one.</p>
      </Card>
    );
  }
  return (
    <Card title="Choose a new password">
      {done ? (
        <p role="status">
          Password changed.{' '}
          <a className="underline" href="/signin">
            Sign in
          </a>
        </p>
      ) : (
        <form className="space-y-4" onSubmit={onSubmit}>
          <Field label="New password">
            <input
              className={inputClass}
              type="password"
              autoComplete="new-password"
              minLength={8}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          <ErrorBox error={error} />
          <button type="submit" className={`${buttonClass} w-full`} disabled={busy}>
            Set password
          </button>
        </form>
      )}
    </Card>
  );
}
