import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { buttonClass, Field, inputClass, selectClass } from '../../components/ui';
import {
  createGiftSession,
  type GiftSession,
  giftSessionKey,
  giftSessionsKey,
  type NewGiftSession,
  parseLinks,
} from '../../lib/gift-finder';
import { useTranslation } from '../../lib/i18n';
import { GiftErrorBox } from './GiftErrorBox';

/** Offered in the picker; "Default" leaves it to the server's setting. */
const currencies = ['EUR', 'USD', 'GBP', 'PLN', 'CHF', 'SEK', 'NOK', 'DKK', 'CZK', 'CAD', 'AUD', 'JPY'];
const maxLinks = 5;
const maxText = 20_000;

/** Starts a session: who the gift is for, optional profile links or text (with consent), currency. */
export function StartForm({ onStarted }: { onStarted: (session: GiftSession) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [recipient, setRecipient] = useState('');
  const [linksText, setLinksText] = useState('');
  const [profileText, setProfileText] = useState('');
  const [consent, setConsent] = useState(false);
  const [currency, setCurrency] = useState('');
  const [problem, setProblem] = useState<{ field: 'links' | 'consent'; message: string } | null>(null);
  const consentBox = useRef<HTMLInputElement>(null);
  const linksBox = useRef<HTMLTextAreaElement>(null);
  const ids = useId();
  const start = useMutation({
    mutationFn: (body: NewGiftSession) => createGiftSession(body),
    onSuccess: (session) => {
      client.setQueryData(giftSessionKey(session.id), session);
      void client.invalidateQueries({ queryKey: giftSessionsKey });
      onStarted(session);
    },
  });

  const hasProfile = linksText.trim() !== '' || profileText.trim() !== '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const { links, invalid } = parseLinks(linksText);
    if (invalid.length > 0) {
      setProblem({ field: 'links', message: t('gift.start.notLinks', { links: invalid.join(', ') }) });
      linksBox.current?.focus();
      return;
    }
    if (links.length > maxLinks) {
      setProblem({ field: 'links', message: t('gift.start.tooManyLinks', { count: maxLinks, given: links.length }) });
      linksBox.current?.focus();
      return;
    }
    if (hasProfile && !consent) {
      setProblem({
        field: 'consent',
        message: t('gift.start.needConsent'),
      });
      consentBox.current?.focus();
      return;
    }
    const body: NewGiftSession = {};
    if (recipient.trim()) body.recipient = recipient.trim();
    if (hasProfile) {
      body.profile = { consent: true };
      if (links.length > 0) body.profile.links = links;
      if (profileText.trim()) body.profile.text = profileText.trim();
    }
    if (currency) body.currency = currency;
    if (typeof navigator !== 'undefined' && navigator.language) body.locale = navigator.language;
    start.mutate(body);
  };

  return (
    <form className="space-y-4" onSubmit={submit} noValidate aria-labelledby={`${ids}-title`}>
      <div>
        <h2 id={`${ids}-title`} className="text-lg font-semibold">
          {t('gift.start.title')}
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-300">{t('gift.start.intro')}</p>
      </div>
      <Field label={t('gift.start.recipient')}>
        <input
          className={inputClass}
          value={recipient}
          maxLength={200}
          placeholder={t('gift.start.recipientPlaceholder')}
          onChange={(event) => setRecipient(event.target.value)}
        />
      </Field>
      <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-800">
        <legend className="px-1 text-sm font-medium">{t('gift.start.profile')}</legend>
        <p className="text-xs text-slate-600 dark:text-slate-300">{t('gift.start.profileHint')}</p>
        <Field label={t('gift.start.links', { count: maxLinks })}>
          <textarea
            ref={linksBox}
            className={inputClass}
            rows={2}
            value={linksText}
            placeholder="https://…"
            aria-invalid={problem?.field === 'links' || undefined}
            aria-describedby={problem?.field === 'links' ? `${ids}-problem` : undefined}
            onChange={(event) => setLinksText(event.target.value)}
          />
        </Field>
        <Field label={t('gift.start.about')}>
          <textarea
            className={inputClass}
            rows={3}
            maxLength={maxText}
            value={profileText}
            onChange={(event) => setProfileText(event.target.value)}
          />
        </Field>
        <label className="flex items-start gap-2 text-sm">
          <input
            ref={consentBox}
            type="checkbox"
            className="mt-0.5"
            checked={consent}
            required={hasProfile}
            aria-invalid={problem?.field === 'consent' || undefined}
            aria-describedby={problem?.field === 'consent' ? `${ids}-problem` : undefined}
            onChange={(event) => setConsent(event.target.checked)}
          />
          <span>{hasProfile ? t('gift.start.consentRequired') : t('gift.start.consent')}</span>
        </label>
      </fieldset>
      <Field label={t('gift.start.currency')}>
        <select className={selectClass} value={currency} onChange={(event) => setCurrency(event.target.value)}>
          <option value="">{t('gift.start.defaultCurrency')}</option>
          {currencies.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </select>
      </Field>
      {problem && (
        <p id={`${ids}-problem`} role="alert" className="text-sm text-red-700 dark:text-red-300">
          {problem.message}
        </p>
      )}
      <GiftErrorBox error={start.error} />
      <button type="submit" className={buttonClass} disabled={start.isPending}>
        {start.isPending ? t('gift.start.starting') : t('gift.start.start')}
      </button>
    </form>
  );
}
