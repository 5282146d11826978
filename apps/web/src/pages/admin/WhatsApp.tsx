import type { AdminWhatsAppConversations, AdminWhatsAppStatus, MessageQueued } from '@switchyard/api-schemas';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Trans } from 'react-i18next';
import { buttonClass, ErrorBox, Field, inputClass, selectClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, t as translate, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';

const refreshMs = 10_000;
type Environment = 'prod' | 'dev';

const when = (iso: string | null) =>
  iso ? <time dateTime={iso}>{formatDateTime(iso)}</time> : <span>{translate('admin.whatsapp.never')}</span>;

const yesNo = (value: boolean) => (value ? translate('admin.whatsapp.yes') : translate('admin.whatsapp.no'));

/** The WhatsApp number of an environment: its webhook, the people who wrote lately, and a test message. */
export function WhatsApp() {
  const { t } = useTranslation();
  const [environment, setEnvironment] = useState<Environment>('prod');
  const [to, setTo] = useState('');
  const [kind, setKind] = useState<'template' | 'text'>('template');
  const [text, setText] = useState('Hello from Switchyard');
  const [template, setTemplate] = useState('hello_world');
  const [language, setLanguage] = useState('en_US');

  const status = useQuery({
    queryKey: ['whatsapp-status', environment],
    queryFn: () => api<AdminWhatsAppStatus>(`/v1/admin/whatsapp/status?environment=${environment}`),
    refetchInterval: refreshMs,
  });
  const conversations = useQuery({
    queryKey: ['whatsapp-conversations', environment],
    queryFn: () => api<AdminWhatsAppConversations>(`/v1/admin/whatsapp/conversations?environment=${environment}`),
    refetchInterval: refreshMs,
  });
  const test = useMutation({
    mutationFn: () =>
      api<MessageQueued>('/v1/admin/whatsapp/test-message', {
        method: 'POST',
        json: {
          environment,
          to: to.trim(),
          ...(kind === 'text' ? { text } : { template: { name: template.trim(), language: language.trim() } }),
        },
      }),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    test.mutate();
  };
  const current = status.data;

  return (
    <section aria-labelledby="whatsapp-heading" className="space-y-6">
      <div className="flex flex-wrap items-end gap-4">
        <h2 id="whatsapp-heading" className="text-lg font-semibold">
          WhatsApp
        </h2>
        <Field label={t('admin.whatsapp.environment')}>
          <select
            className={selectClass}
            value={environment}
            onChange={(event) => setEnvironment(event.target.value as Environment)}
          >
            <option value="prod">prod</option>
            <option value="dev">dev</option>
          </select>
        </Field>
      </div>
      {status.error && <ErrorBox error={status.error} />}
      {status.isPending && <p className="text-sm text-slate-500">{t('common.loading')}</p>}
      {current && (
        <dl
          className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm"
          aria-label={t('admin.whatsapp.statusLabel')}
        >
          <dt className="font-medium">{t('admin.whatsapp.number')}</dt>
          <dd>
            {current.configured ? (
              <>
                <code>{current.phone_number_id}</code>
                {current.dry_run && ` ${t('admin.whatsapp.dryRun')}`}
              </>
            ) : (
              t('admin.whatsapp.notConfigured', { key: `whatsapp.${current.environment}` })
            )}
          </dd>
          <dt className="font-medium">{t('admin.whatsapp.verifyToken')}</dt>
          <dd>{yesNo(current.webhook.verify_token_configured)}</dd>
          <dt className="font-medium">{t('admin.whatsapp.signatureSecret')}</dt>
          <dd>{yesNo(current.webhook.signature_secret_configured)}</dd>
          <dt className="font-medium">{t('admin.whatsapp.lastDelivery')}</dt>
          <dd>
            {when(current.webhook.last_delivery_at)}
            {current.webhook.last_delivery_processed === false && ` ${t('admin.whatsapp.processing')}`}
          </dd>
          <dt className="font-medium">{t('admin.whatsapp.bot')}</dt>
          <dd>
            {current.bot.enabled
              ? t('admin.whatsapp.botOn', { model: current.bot.model ?? t('admin.whatsapp.defaultModel') })
              : t('admin.whatsapp.botOff')}
            {current.bot.focus && `, ${t('admin.whatsapp.focus', { focus: current.bot.focus })}`}
            {current.bot.vision_model && `, ${t('admin.whatsapp.pictures', { model: current.bot.vision_model })}`}
          </dd>
        </dl>
      )}

      <div className="space-y-2">
        <h3 className="font-medium">{t('admin.whatsapp.recent')}</h3>
        {conversations.error && <ErrorBox error={conversations.error} />}
        {conversations.data?.conversations.length === 0 && (
          <p className="text-sm text-slate-500">{t('admin.whatsapp.nobody')}</p>
        )}
        {conversations.data && conversations.data.conversations.length > 0 && (
          <AdminTable
            columns={[
              t('admin.whatsapp.waId'),
              t('admin.whatsapp.name'),
              t('admin.whatsapp.lastMessage'),
              t('admin.whatsapp.lastText'),
              t('admin.whatsapp.optedOut'),
              t('admin.whatsapp.chat'),
            ]}
          >
            <tbody>
              {conversations.data.conversations.map((entry) => (
                <tr key={entry.wa_id} data-wa-id={entry.wa_id}>
                  <td>
                    <code>{entry.wa_id}</code>
                  </td>
                  <td>{entry.name ?? ''}</td>
                  <td className="whitespace-nowrap">{when(entry.last_inbound_at)}</td>
                  <td className="max-w-xs truncate">{entry.last_text ?? ''}</td>
                  <td>{yesNo(entry.opted_out)}</td>
                  <td>{entry.conversation_id ? <code className="text-xs">{entry.conversation_id}</code> : ''}</td>
                </tr>
              ))}
            </tbody>
          </AdminTable>
        )}
      </div>

      <form className="max-w-md space-y-3" onSubmit={submit} aria-labelledby="whatsapp-test-heading">
        <h3 id="whatsapp-test-heading" className="font-medium">
          {t('admin.whatsapp.testTitle')}
        </h3>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          <Trans
            i18nKey="admin.whatsapp.testHint"
            values={{ template: 'hello_world' }}
            components={{ code: <code /> }}
          />
        </p>
        <Field label={t('admin.whatsapp.to')}>
          <input
            className={inputClass}
            value={to}
            placeholder="+4915112345678"
            required
            pattern="\+[1-9][0-9]{6,14}"
            onChange={(event) => setTo(event.target.value)}
          />
        </Field>
        <Field label={t('admin.whatsapp.kind')}>
          <select
            className={selectClass}
            value={kind}
            onChange={(event) => setKind(event.target.value as 'template' | 'text')}
          >
            <option value="template">{t('admin.whatsapp.kindTemplate')}</option>
            <option value="text">{t('admin.whatsapp.kindText')}</option>
          </select>
        </Field>
        {kind === 'text' ? (
          <Field label={t('admin.whatsapp.text')}>
            <textarea
              className={inputClass}
              value={text}
              maxLength={4096}
              required
              onChange={(event) => setText(event.target.value)}
            />
          </Field>
        ) : (
          <>
            <Field label={t('admin.whatsapp.template')}>
              <input
                className={inputClass}
                value={template}
                required
                onChange={(event) => setTemplate(event.target.value)}
              />
            </Field>
            <Field label={t('admin.whatsapp.language')}>
              <input
                className={inputClass}
                value={language}
                required
                onChange={(event) => setLanguage(event.target.value)}
              />
            </Field>
          </>
        )}
        <button type="submit" className={buttonClass} disabled={test.isPending}>
          {t('admin.whatsapp.send')}
        </button>
        {test.error && <ErrorBox error={test.error} />}
        {test.isSuccess && (
          <p role="status" className="text-sm text-green-700 dark:text-green-400">
            {t('admin.whatsapp.queued', { id: test.data.id, to: test.data.to })}
          </p>
        )}
      </form>
    </section>
  );
}
