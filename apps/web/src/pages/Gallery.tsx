import type { GalleryImage, GalleryList } from '@switchyard/api-schemas';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, secondaryButtonClass } from '../components/ui';
import { api } from '../lib/api';
import { formatDateTime, useTranslation } from '../lib/i18n';
import { navigate } from '../lib/router';

export const galleryPageSize = 24;
const galleryKey = ['gallery'] as const;

async function fetchGalleryPage(offset: number): Promise<GalleryImage[]> {
  const page = await api<GalleryList>(`/api/images?limit=${galleryPageSize}&offset=${offset}`);
  return page.images;
}

function GalleryTile({ image, onDeleted }: { image: GalleryImage; onDeleted: (error?: unknown) => void }) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const remove = async () => {
    setDeleting(true);
    try {
      await api(`/api/images/${encodeURIComponent(image.id)}`, { method: 'DELETE' });
      onDeleted();
    } catch (caught) {
      setDeleting(false);
      setConfirming(false);
      onDeleted(caught);
    }
  };
  return (
    <li
      className="flex flex-col gap-2 rounded-md border border-slate-200 p-2 dark:border-slate-800"
      data-image={image.id}
    >
      <a href={image.url} target="_blank" rel="noopener" title={t('gallery.openFull')}>
        <img
          className="aspect-square w-full rounded bg-slate-100 object-cover dark:bg-slate-900"
          src={image.url}
          alt={image.prompt}
          loading="lazy"
        />
      </a>
      <p className="line-clamp-2 text-sm" title={image.prompt}>
        {image.prompt}
      </p>
      <p className="text-xs text-slate-500">
        {image.model} · {image.width}×{image.height} · {formatDateTime(image.createdAt)}
      </p>
      <div className="flex flex-wrap gap-1 text-sm">
        <a className={secondaryButtonClass} href={image.url} target="_blank" rel="noopener">
          {t('gallery.open')}
        </a>
        <a className={secondaryButtonClass} href={image.url} download={`${image.id}.png`}>
          {t('gallery.download')}
        </a>
        {image.chatId && (
          <a
            className={secondaryButtonClass}
            href={`/chat?chat=${encodeURIComponent(image.chatId)}`}
            onClick={(event) => {
              event.preventDefault();
              navigate(`/chat?chat=${encodeURIComponent(image.chatId ?? '')}`);
            }}
          >
            {t('gallery.openChat')}
          </a>
        )}
        {confirming ? (
          <>
            <button type="button" className={buttonClass} disabled={deleting} onClick={() => void remove()}>
              {t('gallery.confirmDelete')}
            </button>
            <button type="button" className={secondaryButtonClass} onClick={() => setConfirming(false)}>
              {t('gallery.keep')}
            </button>
          </>
        ) : (
          <button type="button" className={secondaryButtonClass} onClick={() => setConfirming(true)}>
            {t('gallery.delete')}
          </button>
        )}
      </div>
    </li>
  );
}

/** /gallery: the images you generated (GET /api/images), newest first, a page at a time. */
export function GalleryPage() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const gallery = useInfiniteQuery({
    queryKey: galleryKey,
    queryFn: ({ pageParam }) => fetchGalleryPage(pageParam),
    initialPageParam: 0,
    // The next offset is what is loaded, so a deletion between pages skips nothing.
    getNextPageParam: (last, pages) =>
      last.length < galleryPageSize ? undefined : pages.reduce((sum, page) => sum + page.length, 0),
  });
  const images = gallery.data?.pages.flat() ?? [];
  const onDeleted = (id: string) => (caught?: unknown) => {
    setError(caught ?? null);
    if (caught) return;
    client.setQueryData<{ pages: GalleryImage[][]; pageParams: number[] }>(galleryKey, (data) =>
      data ? { ...data, pages: data.pages.map((page) => page.filter((image) => image.id !== id)) } : data,
    );
  };
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4">
      <h1 className="text-xl font-semibold">{t('gallery.title')}</h1>
      <ErrorBox error={error ?? gallery.error} />
      {gallery.isLoading ? (
        <p role="status">{t('common.loading')}</p>
      ) : images.length === 0 ? (
        <p className="text-slate-500">{t('gallery.empty')}</p>
      ) : (
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4" aria-label={t('gallery.title')}>
          {images.map((image) => (
            <GalleryTile key={image.id} image={image} onDeleted={onDeleted(image.id)} />
          ))}
        </ul>
      )}
      {gallery.hasNextPage && (
        <button
          type="button"
          className={secondaryButtonClass}
          disabled={gallery.isFetchingNextPage}
          onClick={() => void gallery.fetchNextPage()}
        >
          {gallery.isFetchingNextPage ? t('common.loading') : t('gallery.more')}
        </button>
      )}
    </main>
  );
}
