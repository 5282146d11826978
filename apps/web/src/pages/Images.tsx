import type { ImageStatus as ImageJob, ImageModelList, ImageQuota as Quota } from '@switchyard/api-schemas';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, Field, inputClass, selectClass } from '../components/ui';
import { api } from '../lib/api';
import { useTranslation } from '../lib/i18n';

export function ImagePanel() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const quota = useQuery({ queryKey: ['image-quota'], queryFn: () => api<Quota>('/v1/image/quota') });
  // Only image models: the chat models cannot draw.
  const imageModels = useQuery({ queryKey: ['image-models'], queryFn: () => api<ImageModelList>('/v1/image/models') });
  const [imageModel, setImageModel] = useState('');
  const chosenImageModel = imageModel || imageModels.data?.default || '';
  const [prompt, setPrompt] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const job = useQuery({
    queryKey: ['image', jobId],
    enabled: jobId !== null,
    queryFn: () => api<ImageJob>(`/v1/image/${jobId}`),
    refetchInterval: (query) =>
      query.state.data && ['ready', 'failed'].includes(query.state.data.status) ? false : 1000,
  });
  const generate = async () => {
    setError(null);
    try {
      const created = await api<{ id: string }>('/v1/image/generate', {
        method: 'POST',
        json: { prompt, ...(chosenImageModel ? { model: chosenImageModel } : {}) },
      });
      setJobId(created.id);
      await client.invalidateQueries({ queryKey: ['image-quota'] });
    } catch (caught) {
      setError(caught);
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
          <button type="submit" className={buttonClass} disabled={!prompt.trim()}>
            {t('images.generate')}
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
        </div>
      </form>
      <ErrorBox error={error ?? quota.error} />
      {job.data && (
        <div role="status">
          <p className="text-sm">{t('images.status', { status: t(`images.statuses.${job.data.status}`) })}</p>
          {job.data.status === 'failed' && <p className="text-red-600">{job.data.error}</p>}
          {job.data.status === 'ready' && (
            <img
              className="mt-2 max-w-full rounded border"
              src={`/v1/image/${job.data.id}/content`}
              alt={prompt || t('images.generated')}
            />
          )}
        </div>
      )}
    </div>
  );
}
