import type { ChatImageResult, ImageModelList, ImageQuota as Quota } from '@switchyard/api-schemas';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, selectClass } from '../components/ui';
import { api } from '../lib/api';
import { titleFrom } from '../lib/conversations';
import { useTranslation } from '../lib/i18n';
import { navigate } from '../lib/router';

/**
 * The chat's Images panel: the image is made in the open chat (a new one when none is open) and posted
 * into it as the prompt and an answer showing the picture (POST /api/chats/:id/images); it is in the
 * gallery too.
 */
export function ImagePanel({
  chatId,
  onPosted,
}: {
  chatId: string | null;
  /** The chat the image was posted in (created when none was open). */
  onPosted?: (chatId: string) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const quota = useQuery({ queryKey: ['image-quota'], queryFn: () => api<Quota>('/v1/image/quota') });
  // Only image models: the chat models cannot draw.
  const imageModels = useQuery({ queryKey: ['image-models'], queryFn: () => api<ImageModelList>('/v1/image/models') });
  const [imageModel, setImageModel] = useState('');
  const chosenImageModel = imageModel || imageModels.data?.default || '';
  const [prompt, setPrompt] = useState('');
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<ChatImageResult['image'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generate = async () => {
    setError(null);
    setMade(null);
    setBusy(true);
    try {
      const target =
        chatId ?? (await api<{ id: string }>('/api/chats', { method: 'POST', json: { title: titleFrom(prompt) } })).id;
      const result = await api<ChatImageResult>(`/api/chats/${encodeURIComponent(target)}/images`, {
        method: 'POST',
        json: { prompt, ...(chosenImageModel ? { model: chosenImageModel } : {}) },
      });
      setMade(result.image);
      onPosted?.(target);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      void client.invalidateQueries({ queryKey: ['image-quota'] });
      void client.invalidateQueries({ queryKey: ['gallery'] });
    }
  };
  return (
    <div className="mx-auto w-full max-w-3xl flex-1 space-y-4 overflow-auto p-4">
      <form
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          void generate();
        }}
      >
        <Field label={t('images.prompt')}>
          <textarea
            className={inputClass}
            rows={2}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            required
          />
        </Field>
        <div className="flex flex-wrap items-center gap-3">
          <label className="flex items-center gap-1 text-sm">
            <span>{t('images.model')}</span>
            <select
              className={selectClass}
              value={chosenImageModel}
              onChange={(event) => setImageModel(event.target.value)}
            >
              {imageModels.data?.models.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.label ?? entry.id}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className={buttonClass} disabled={!prompt.trim() || busy}>
            {busy ? t('images.generating') : t('images.generate')}
          </button>
          {quota.data && (
            <span className="text-sm text-slate-600 dark:text-slate-300" data-testid="image-quota">
              {t('images.quota', {
                count: quota.data.limit,
                remaining: quota.data.remaining,
                environment: quota.data.environment,
              })}
            </span>
          )}
          <a
            className="text-sm underline"
            href="/gallery"
            onClick={(event) => {
              event.preventDefault();
              navigate('/gallery');
            }}
          >
            {t('images.openGallery')}
          </a>
        </div>
        <p className="text-xs text-slate-500">{chatId ? t('images.postsToChat') : t('images.postsToNewChat')}</p>
      </form>
      <ErrorBox error={error ?? quota.error} />
      {busy && (
        <p role="status" className="text-sm">
          {t('images.generating')}
        </p>
      )}
      {made && (
        <div role="status">
          <p className="text-sm">{t('images.posted')}</p>
          <img className="mt-2 max-w-full rounded border" src={made.url} alt={made.prompt} />
        </div>
      )}
    </div>
  );
}
