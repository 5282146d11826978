import { type ClipboardEvent, type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, describeError } from '../lib/api';
import {
  checkFile,
  defaultFileLimits,
  deleteFile,
  type FileLimits,
  formatBytes,
  getFile,
  pollDelay,
  uploadFile,
} from '../lib/files';
import { t, useTranslation } from '../lib/i18n';
import { secondaryButtonClass } from './ui';

export type AttachmentStatus = 'uploading' | 'pending' | 'ready' | 'failed';

export interface AttachmentItem {
  /** Stable for the item's whole life (React key, `remove` argument). */
  id: string;
  /** The server's file id once the upload is stored; what `readyIds` holds. */
  fileId: string | null;
  name: string;
  size: number;
  status: AttachmentStatus;
  /** Upload progress, 0–100. */
  progress: number;
  error: string | null;
}

export interface Attachments {
  items: AttachmentItem[];
  add(files: FileList | File[]): void;
  /** Aborts an upload in flight, stops polling, and deletes a stored file. Takes the item id or its file id. */
  remove(id: string): void;
  /** Forgets every item (after sending a message) without deleting stored files; aborts uploads in flight. */
  clear(): void;
  /** Server file ids whose text is extracted: what `attachments` in `POST /api/chat/start` takes. */
  readyIds: string[];
  /** An upload or an extraction is still running. */
  busy: boolean;
  /** A failure that belongs to no chip (a delete that did not go through). */
  error: string | null;
}

interface Control {
  stopped: boolean;
  abortUpload?: (() => void) | undefined;
  timer?: ReturnType<typeof setTimeout> | undefined;
  poll?: AbortController | undefined;
  lastProgress: number;
}

/** Polls that fail this many times in a row give up (the server or network is gone, not just slow). */
const maximumPollFailures = 5;

function reason(error: unknown): string {
  const friendly = describeError(error);
  return friendly.detail || friendly.title;
}

/** Uploads files for the chat composer, then follows their text extraction until ready or failed. */
export function useAttachments(limits: Partial<FileLimits> = {}): Attachments {
  const maxBytes = limits.maxBytes ?? defaultFileLimits.maxBytes;
  const maxFiles = limits.maxFiles ?? defaultFileLimits.maxFiles;
  const [items, setItems] = useState<AttachmentItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const controls = useRef(new Map<string, Control>());
  const sequence = useRef(0);

  const update = useCallback((id: string, patch: Partial<AttachmentItem>) => {
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...patch } : item)));
  }, []);

  const stop = useCallback((id: string) => {
    const control = controls.current.get(id);
    if (!control) return;
    control.stopped = true;
    control.abortUpload?.();
    if (control.timer !== undefined) clearTimeout(control.timer);
    control.poll?.abort();
    controls.current.delete(id);
  }, []);

  const poll = useCallback(
    (id: string, fileId: string, attempt: number, failures: number) => {
      const control = controls.current.get(id);
      if (!control || control.stopped) return;
      control.timer = setTimeout(async () => {
        if (control.stopped) return;
        control.poll = new AbortController();
        try {
          const file = await getFile(fileId, control.poll.signal);
          if (control.stopped) return;
          if (file.status === 'pending') {
            poll(id, fileId, attempt + 1, 0);
            return;
          }
          controls.current.delete(id);
          update(id, {
            status: file.status,
            error: file.status === 'failed' ? file.error || t('attachments.notExtracted') : null,
          });
        } catch (failure) {
          if (control.stopped) return;
          if (failure instanceof ApiError && failure.status === 404) {
            controls.current.delete(id);
            update(id, { status: 'failed', error: t('attachments.gone') });
          } else if (failures + 1 >= maximumPollFailures) {
            controls.current.delete(id);
            update(id, { status: 'failed', error: reason(failure) });
          } else {
            poll(id, fileId, attempt + 1, failures + 1);
          }
        }
      }, pollDelay(attempt));
    },
    [update],
  );

  const add = useCallback(
    (files: FileList | File[]) => {
      const list = Array.from(files);
      if (list.length === 0) return;
      setError(null);
      let room = maxFiles - itemsRef.current.filter((item) => item.status !== 'failed').length;
      const added: AttachmentItem[] = [];
      for (const file of list) {
        sequence.current += 1;
        const id = `attachment-${sequence.current}`;
        const base = { id, fileId: null, name: file.name, size: file.size, progress: 0, error: null };
        const refused =
          room <= 0 ? t('attachments.tooMany', { count: maxFiles }) : checkFile(file, { maxBytes, maxFiles });
        if (refused) {
          added.push({ ...base, status: 'failed', error: refused });
          continue;
        }
        room -= 1;
        added.push({ ...base, status: 'uploading' });
        const control: Control = { stopped: false, lastProgress: 0 };
        controls.current.set(id, control);
        const upload = uploadFile(file, (percent) => {
          if (control.stopped || percent === control.lastProgress) return;
          control.lastProgress = percent;
          update(id, { progress: percent });
        });
        control.abortUpload = upload.abort;
        upload.promise.then(
          (stored) => {
            control.abortUpload = undefined;
            if (control.stopped) {
              // Removed in the instant between the server storing it and us hearing back.
              void deleteFile(stored.id).catch(() => {});
              return;
            }
            update(id, {
              fileId: stored.id,
              progress: 100,
              status: stored.status,
              error: stored.status === 'failed' ? stored.error || t('attachments.notExtracted') : null,
            });
            if (stored.status === 'pending') poll(id, stored.id, 0, 0);
            else controls.current.delete(id);
          },
          (failure: unknown) => {
            control.abortUpload = undefined;
            if (control.stopped) return;
            controls.current.delete(id);
            update(id, { status: 'failed', error: reason(failure) });
          },
        );
      }
      // Two adds (or an add then a remove) in one tick must see each other before React re-renders.
      itemsRef.current = [...itemsRef.current, ...added];
      setItems((current) => [...current, ...added]);
    },
    [maxBytes, maxFiles, poll, update],
  );

  const remove = useCallback(
    (id: string) => {
      const item = itemsRef.current.find((entry) => entry.id === id || entry.fileId === id);
      if (!item) return;
      stop(item.id);
      setItems((current) => current.filter((entry) => entry.id !== item.id));
      if (item.fileId) {
        const fileId = item.fileId;
        void deleteFile(fileId).catch((failure: unknown) => {
          if (failure instanceof ApiError && failure.status === 404) return;
          setError(t('attachments.deleteFailed', { name: item.name, reason: reason(failure) }));
        });
      }
    },
    [stop],
  );

  const clear = useCallback(() => {
    for (const id of [...controls.current.keys()]) stop(id);
    setItems([]);
    setError(null);
  }, [stop]);

  useEffect(() => {
    const map = controls.current;
    return () => {
      for (const id of [...map.keys()]) stop(id);
    };
  }, [stop]);

  return useMemo(() => {
    const readyIds = items.flatMap((item) => (item.status === 'ready' && item.fileId ? [item.fileId] : []));
    const busy = items.some((item) => item.status === 'uploading' || item.status === 'pending');
    return { items, add, remove, clear, readyIds, busy, error };
  }, [items, add, remove, clear, error]);
}

/** Drag-and-drop and paste of files onto any element (the composer): spread the result on it. */
export function attachmentDropHandlers(attachments: Pick<Attachments, 'add'>) {
  return {
    onDragOver(event: DragEvent) {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    },
    onDrop(event: DragEvent) {
      const files = event.dataTransfer?.files;
      if (files && files.length > 0) {
        event.preventDefault();
        attachments.add(files);
      }
    },
    onPaste(event: ClipboardEvent) {
      const files = event.clipboardData?.files;
      // Text pastes go through untouched; only pasted files (screenshots) are taken.
      if (files && files.length > 0) {
        event.preventDefault();
        attachments.add(files);
      }
    },
  };
}

/** "Attach files": opens the system file chooser (several files at once); files can also be dropped on it. */
export function AttachButton({
  attachments,
  disabled = false,
  className = secondaryButtonClass,
}: {
  attachments: Pick<Attachments, 'add'>;
  disabled?: boolean;
  className?: string;
}) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={disabled}
        onClick={() => input.current?.click()}
        {...attachmentDropHandlers(attachments)}
      >
        {t('attachments.attach')}
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        data-testid="attach-input"
        onChange={(event) => {
          const files = event.currentTarget.files;
          if (files && files.length > 0) attachments.add(Array.from(files));
          // Lets the same file be chosen again after it was removed.
          event.currentTarget.value = '';
        }}
      />
    </>
  );
}

function statusText(item: AttachmentItem): string {
  switch (item.status) {
    case 'uploading':
      return t('attachments.uploading');
    case 'pending':
      return t('attachments.extracting');
    case 'ready':
      return t('attachments.ready');
    case 'failed':
      return t('attachments.failed', { reason: item.error ?? t('attachments.unknownError') });
  }
}

const statusColour: Record<AttachmentStatus, string> = {
  uploading: 'text-slate-500',
  pending: 'text-slate-500',
  ready: 'text-green-700 dark:text-green-400',
  failed: 'text-red-700 dark:text-red-400',
};

/** One chip per file: name, size, upload progress, extraction status and a remove button. */
export function AttachmentList({ attachments }: { attachments: Pick<Attachments, 'items' | 'remove' | 'error'> }) {
  const { t } = useTranslation();
  const { items, remove, error } = attachments;
  if (items.length === 0 && !error) return null;
  return (
    <div className="space-y-1">
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <ul aria-label={t('attachments.list')} aria-live="polite" className="flex flex-wrap gap-2">
        {items.map((item) => (
          <li
            key={item.id}
            data-status={item.status}
            className={`flex max-w-xs items-center gap-2 rounded-md border px-2 py-1 text-xs ${
              item.status === 'failed' ? 'border-red-300 dark:border-red-800' : 'border-slate-300 dark:border-slate-700'
            }`}
          >
            <div className="min-w-0 flex-1">
              <div className="flex gap-1">
                <span className="truncate font-medium" title={item.name}>
                  {item.name}
                </span>
                <span className="shrink-0 text-slate-500">{formatBytes(item.size)}</span>
              </div>
              {item.status === 'uploading' && (
                <div
                  role="progressbar"
                  aria-label={t('attachments.uploadingName', { name: item.name })}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={item.progress}
                  className="my-0.5 h-1 w-full overflow-hidden rounded bg-slate-200 dark:bg-slate-700"
                >
                  <div className="h-full bg-indigo-600" style={{ width: `${item.progress}%` }} />
                </div>
              )}
              <span className={`block ${statusColour[item.status]}`}>{statusText(item)}</span>
            </div>
            <button
              type="button"
              aria-label={t('attachments.remove', { name: item.name })}
              className="shrink-0 rounded px-1 text-base leading-none hover:bg-slate-100 dark:hover:bg-slate-800"
              onClick={() => remove(item.id)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
