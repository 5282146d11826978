import type { SharedChat } from '@switchyard/api-schemas';
import { useQuery } from '@tanstack/react-query';
import { Markdown } from '../components/Markdown';
import { ErrorBox } from '../components/ui';
import { api } from '../lib/api';
import { formatDateTime, useTranslation } from '../lib/i18n';

/** /share/<token>: a chat someone shared, read-only, for anyone with the link (no account needed). */
export function SharedChatPage({ token }: { token: string }) {
  const { t } = useTranslation();
  const shared = useQuery({
    queryKey: ['share', token],
    queryFn: () => api<SharedChat>(`/api/share/${encodeURIComponent(token)}`),
    retry: false,
  });
  if (shared.isLoading) {
    return (
      <p role="status" className="p-8">
        {t('common.loading')}
      </p>
    );
  }
  if (shared.error || !shared.data) {
    return (
      <main className="mx-auto max-w-3xl p-4">
        <h1 className="mb-4 text-xl font-semibold">{t('shared.title')}</h1>
        <ErrorBox error={shared.error} />
        <p className="mt-2 text-sm">{t('shared.gone')}</p>
      </main>
    );
  }
  const { title, model, createdAt, messages } = shared.data;
  return (
    <main className="mx-auto max-w-3xl space-y-3 p-4">
      <header>
        <h1 className="text-xl font-semibold">{title}</h1>
        <p className="text-sm text-slate-500">
          {t('shared.title')}
          {model ? ` · ${model}` : ''} · {formatDateTime(createdAt)} · {t('shared.readOnly')}
        </p>
      </header>
      {messages.map((message, index) => (
        <article
          // biome-ignore lint/suspicious/noArrayIndexKey: a read-only list that never reorders
          key={index}
          aria-label={
            message.role === 'user'
              ? t('messages.you')
              : message.role === 'assistant'
                ? t('messages.assistant')
                : t('messages.system')
          }
          className={`rounded-lg p-3 ${message.role === 'user' ? 'bg-indigo-50 dark:bg-indigo-950' : 'bg-slate-50 dark:bg-slate-900'}`}
        >
          <div className="mb-1 text-xs font-semibold text-slate-500">
            {message.role === 'user'
              ? t('shared.user')
              : message.role === 'assistant'
                ? t('messages.assistant')
                : t('messages.system')}
          </div>
          {message.role === 'assistant' ? (
            <Markdown text={message.content} />
          ) : (
            <p className="whitespace-pre-wrap">{message.content}</p>
          )}
        </article>
      ))}
    </main>
  );
}
