import type { AuthConfig } from '@switchyard/api-schemas';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass } from '../components/ui';
import { api } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import { navigate } from '../lib/router';

/** Starts downloading the chat's code while the form is sent: the next page appears without a wait. */
function preloadChat() {
  void import('./Chat').catch(() => {});
}

function useAuthConfig() {
  return useQuery({ queryKey: ['auth-config'], queryFn: () => api<AuthConfig>('/api/auth-config') });
}

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="mx-auto max-w-sm px-4 py-12">
      <h1 className="mb-6 text-2xl font-semibold">{title}</h1>
      {children}
    </main>
  );
}

/** A labelled, required text input bound to a string state. */
function TextField({
  label,
  value,
  onChange,
  type = 'text',
  autoComplete,
  minLength,
}: {
  label: string;
  value: string;
  onChange(value: string): void;
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  minLength?: number;
}) {
  return (
    <Field label={label}>
      <input
        className={inputClass}
        type={type}
        autoComplete={autoComplete}
        minLength={minLength}
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}

/** A password being chosen: the server's minimum length, and the browser may suggest one. */
function NewPasswordField(props: { label: string; value: string; onChange(value: string): void }) {
  return <TextField {...props} type="password" autoComplete="new-password" minLength={8} />;
}

/** A form that runs `action` on submit, shows its error and disables the button while it runs. */
function AuthForm({
  action,
  submitLabel,
  children,
}: {
  action: () => Promise<void>;
  submitLabel: string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
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
  return (
    <form className="space-y-4" onSubmit={onSubmit}>
      {children}
      <ErrorBox error={error} signInLink={false} />
      <button type="submit" className={`${buttonClass} w-full`} disabled={busy} aria-busy={busy}>
        {busy ? t('auth.working') : submitLabel}
      </button>
    </form>
  );
}

function AppLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <a
      className="underline"
      href={to}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

function SocialButtons() {
  const { t } = useTranslation();
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
          {t('auth.continueWith', { provider: `${provider[0]?.toUpperCase() ?? ''}${provider.slice(1)}` })}
        </button>
      ))}
    </div>
  );
}

export function SignIn() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = async () => {
    preloadChat();
    await api('/api/auth/sign-in/email', { method: 'POST', json: { email, password } });
    await client.invalidateQueries({ queryKey: ['me'] });
    navigate('/chat');
  };
  return (
    <Card title={t('auth.signInTitle')}>
      <AuthForm action={signIn} submitLabel={t('auth.signIn')}>
        <TextField label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={setEmail} />
        <TextField
          label={t('auth.password')}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
        />
      </AuthForm>
      <SocialButtons />
      <p className="mt-6 text-sm">
        <AppLink to="/signup">{t('auth.createAccount')}</AppLink> ·{' '}
        <AppLink to="/forgot-password">{t('auth.forgotPassword')}</AppLink>
      </p>
    </Card>
  );
}

export function SignUp() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const config = useAuthConfig();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signUp = async () => {
    preloadChat();
    await api('/api/auth/sign-up/email', { method: 'POST', json: { name, email, password } });
    await client.invalidateQueries({ queryKey: ['me'] });
    navigate('/chat');
  };
  if (config.data && !config.data.emailAndPassword.signUp) {
    return (
      <Card title={t('auth.signUpTitle')}>
        <p>{t('auth.signUpClosed')}</p>
      </Card>
    );
  }
  return (
    <Card title={t('auth.createAccountTitle')}>
      {config.data?.firstAccountBecomesAdmin && (
        <p
          role="note"
          className="mb-4 rounded-md border border-indigo-300 bg-indigo-50 p-3 text-sm dark:border-indigo-800 dark:bg-indigo-950"
        >
          {t('auth.firstAdmin')}
        </p>
      )}
      <AuthForm action={signUp} submitLabel={t('auth.signUp')}>
        <TextField label={t('auth.name')} autoComplete="name" value={name} onChange={setName} />
        <TextField label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={setEmail} />
        <NewPasswordField label={t('auth.password')} value={password} onChange={setPassword} />
      </AuthForm>
      <SocialButtons />
    </Card>
  );
}

export function ForgotPassword() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const requestReset = async () => {
    await api('/api/auth/request-password-reset', { method: 'POST', json: { email, redirectTo: '/reset-password' } });
    setSent(true);
  };
  return (
    <Card title={t('auth.resetTitle')}>
      {sent ? (
        <p role="status">{t('auth.resetSent')}</p>
      ) : (
        <AuthForm action={requestReset} submitLabel={t('auth.sendReset')}>
          <TextField label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={setEmail} />
        </AuthForm>
      )}
    </Card>
  );
}

export function ResetPassword() {
  const { t } = useTranslation();
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const reset = async () => {
    await api('/api/auth/reset-password', { method: 'POST', json: { token, newPassword: password } });
    setDone(true);
  };
  if (!token) {
    return (
      <Card title={t('auth.newPasswordTitle')}>
        <p role="alert">{t('auth.noToken')}</p>
      </Card>
    );
  }
  return (
    <Card title={t('auth.newPasswordTitle')}>
      {done ? (
        <p role="status">
          {t('auth.passwordChanged')} <AppLink to="/signin">{t('auth.signIn')}</AppLink>
        </p>
      ) : (
        <AuthForm action={reset} submitLabel={t('auth.setPassword')}>
          <NewPasswordField label={t('auth.newPassword')} value={password} onChange={setPassword} />
        </AuthForm>
      )}
    </Card>
  );
}
