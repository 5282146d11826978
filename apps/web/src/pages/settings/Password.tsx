import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass } from '../../components/ui';
import { api } from '../../lib/api';
import { useTranslation } from '../../lib/i18n';
import { Saved, Section } from './Section';

/** Change password with the current one (better-auth's change-password), optionally signing out elsewhere. */
export function Password() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [signOutOthers, setSignOutOthers] = useState(true);
  const mismatch = repeat !== '' && next !== repeat;
  const change = useMutation({
    mutationFn: () =>
      api('/api/auth/change-password', {
        method: 'POST',
        json: { currentPassword: current, newPassword: next, revokeOtherSessions: signOutOthers },
      }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      void client.invalidateQueries({ queryKey: ['account-sessions'] });
    },
  });
  return (
    <Section id="password" title={t('settings.password.title')}>
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          if (!mismatch) change.mutate();
        }}
      >
        <Field label={t('settings.password.current')}>
          <input
            className={inputClass}
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(event) => setCurrent(event.target.value)}
          />
        </Field>
        <Field label={t('settings.password.new')}>
          <input
            className={inputClass}
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            maxLength={128}
            value={next}
            onChange={(event) => setNext(event.target.value)}
          />
        </Field>
        <Field label={t('settings.password.repeat')}>
          <input
            className={inputClass}
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={mismatch}
            aria-describedby={mismatch ? 'password-mismatch' : undefined}
            value={repeat}
            onChange={(event) => setRepeat(event.target.value)}
          />
        </Field>
        {mismatch && (
          <p id="password-mismatch" className="text-sm text-red-700 dark:text-red-400">
            {t('settings.password.mismatch')}
          </p>
        )}
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={signOutOthers} onChange={(event) => setSignOutOthers(event.target.checked)} />
          {t('settings.password.signOutOthers')}
        </label>
        <ErrorBox error={change.error} />
        <div className="flex items-center gap-3">
          <button type="submit" className={buttonClass} disabled={change.isPending || mismatch}>
            {t('settings.password.change')}
          </button>
          <Saved text={change.isSuccess ? t('settings.password.changed') : null} />
        </div>
      </form>
    </Section>
  );
}
