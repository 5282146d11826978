import { Component, type ErrorInfo, type ReactNode } from 'react';
import { describeError } from '../lib/api';
import { t } from '../lib/i18n';
import { navigate } from '../lib/router';

export const buttonClass =
  'rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50';
export const secondaryButtonClass =
  'rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800 disabled:opacity-50';
export const selectClass =
  'rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900';
export const inputClass =
  'w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900';

/**
 * A failed request, explained. `signInLink: false` where a sign-in link makes no sense (the sign-in form
 * itself: a wrong password is a 401 too).
 */
export function ErrorBox({ error, signInLink = true }: { error: unknown; signInLink?: boolean }) {
  if (!error) return null;
  const friendly = describeError(error);
  return (
    <div
      role="alert"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      <strong>{friendly.title}</strong> <span>{friendly.detail}</span>
      {friendly.signIn && signInLink && (
        <button type="button" className="ml-2 underline" onClick={() => navigate('/signin')}>
          {t('nav.signIn')}
        </button>
      )}
    </div>
  );
}

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(error, info.componentStack);
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" className="mx-auto max-w-xl p-8">
        <h1 className="mb-2 text-xl font-semibold">{t('app.crashTitle')}</h1>
        <pre className="mb-4 whitespace-pre-wrap text-sm text-red-700">{this.state.error.message}</pre>
        <button type="button" className={buttonClass} onClick={() => this.setState({ error: null })}>
          {t('app.tryAgain')}
        </button>{' '}
        <a className="underline" href="/">
          {t('app.home')}
        </a>
      </div>
    );
  }
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is passed as children
    <label className="block text-sm">
      <span className="mb-1 block font-medium">{label}</span>
      {children}
    </label>
  );
}
