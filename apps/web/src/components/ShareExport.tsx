import { useEffect, useRef, useState } from 'react';
import { exportUrl, revokeShares, shareChat } from '../lib/conversations';
import { useTranslation } from '../lib/i18n';
import { ErrorBox, inputClass, secondaryButtonClass } from './ui';

/**
 * The chat header's Share and Export: a read-only link (POST /api/chats/:id/share; anyone with it
 * can read the chat, no account needed) with copy and revoke, and downloads of the chat as JSON
 * (re-importable) or Markdown.
 */
export function ShareExport({ chatId }: { chatId: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<'share' | 'export' | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [working, setWorking] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  // A click outside closes the open panel.
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(null);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const create = async () => {
    setWorking(true);
    setError(null);
    try {
      const share = await shareChat(chatId);
      setLink(new URL(share.url, location.origin).toString());
      setStatus(t('share.created'));
    } catch (caught) {
      setError(caught);
    } finally {
      setWorking(false);
    }
  };
  const revoke = async () => {
    setWorking(true);
    setError(null);
    try {
      const { revoked } = await revokeShares(chatId);
      setLink(null);
      setStatus(t('share.revoked', { count: revoked }));
    } catch (caught) {
      setError(caught);
    } finally {
      setWorking(false);
    }
  };
  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setStatus(t('share.copied'));
    } catch {
      setStatus(t('share.copyFailed'));
    }
  };

  return (
    <div ref={box} className="relative flex gap-1">
      <button
        type="button"
        className={secondaryButtonClass}
        aria-expanded={open === 'share'}
        onClick={() => setOpen(open === 'share' ? null : 'share')}
      >
        {t('share.share')}
      </button>
      <button
        type="button"
        className={secondaryButtonClass}
        aria-expanded={open === 'export'}
        onClick={() => setOpen(open === 'export' ? null : 'export')}
      >
        {t('share.export')}
      </button>
      {open === 'share' && (
        <section
          aria-label={t('share.shareThisChat')}
          className="absolute top-10 right-0 z-30 w-96 max-w-[90vw] space-y-2 rounded-md border border-slate-300 bg-white p-3 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-950"
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(null);
          }}
        >
          <p>{t('share.intro')}</p>
          {link && (
            <input
              className={inputClass}
              readOnly
              value={link}
              aria-label={t('share.link')}
              onFocus={(e) => e.target.select()}
            />
          )}
          <div className="flex flex-wrap gap-2">
            <button type="button" className={secondaryButtonClass} disabled={working} onClick={create}>
              {link ? t('share.newLink') : t('share.createLink')}
            </button>
            {link && (
              <>
                <button type="button" className={secondaryButtonClass} onClick={copy}>
                  {t('share.copyLink')}
                </button>
                <a className={secondaryButtonClass} href={link} target="_blank" rel="noreferrer">
                  {t('share.open')}
                </a>
              </>
            )}
            <button type="button" className={secondaryButtonClass} disabled={working} onClick={revoke}>
              {t('share.revokeAll')}
            </button>
          </div>
          <p role="status" className="text-xs text-slate-500">
            {status}
          </p>
          <ErrorBox error={error} />
        </section>
      )}
      {open === 'export' && (
        <section
          aria-label={t('share.exportThisChat')}
          className="absolute top-10 right-0 z-30 flex gap-2 rounded-md border border-slate-300 bg-white p-3 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-950"
        >
          <a className={secondaryButtonClass} href={exportUrl(chatId, 'json')} download>
            {t('share.downloadJson')}
          </a>
          <a className={secondaryButtonClass} href={exportUrl(chatId, 'markdown')} download>
            {t('share.downloadMarkdown')}
          </a>
        </section>
      )}
    </div>
  );
}
