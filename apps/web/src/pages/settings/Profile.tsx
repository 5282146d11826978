import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass } from '../../components/ui';
import { api, type Me } from '../../lib/api';
import { useTranslation } from '../../lib/i18n';
import { Saved, Section } from './Section';

/** The name shown for you (better-auth's update-user; the email and role are not yours to change here). */
export function Profile({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [name, setName] = useState(me.name);
  const save = useMutation({
    mutationFn: () => api('/api/auth/update-user', { method: 'POST', json: { name: name.trim() } }),
    onSuccess: () => client.setQueryData<Me | null>(['me'], (old) => (old ? { ...old, name: name.trim() } : old)),
  });
  return (
    <Section id="profile" title={t('settings.profile.title')}>
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <Field label={t('settings.profile.email')}>
          <input className={inputClass} value={me.email} readOnly aria-readonly="true" />
        </Field>
        <Field label={t('settings.profile.name')}>
          <input
            className={inputClass}
            autoComplete="name"
            required
            maxLength={200}
            value={name}
            onChange={(event) => {
              setName(event.target.value);
              save.reset();
            }}
          />
        </Field>
        <ErrorBox error={save.error} />
        <div className="flex items-center gap-3">
          <button type="submit" className={buttonClass} disabled={save.isPending || name.trim() === ''}>
            {t('settings.profile.save')}
          </button>
          <Saved text={save.isSuccess ? t('settings.saved') : null} />
        </div>
      </form>
    </Section>
  );
}
