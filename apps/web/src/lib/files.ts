import type { FileLimits, UploadedFile } from '@switchyard/api-schemas';
import { ApiError, api, errorFromResponse } from './api';
import { formatNumber, t } from './i18n';

export type { FileLimits, UploadedFile };

/**
 * The server's defaults for `files.max_bytes` and `files.max_per_user`, used until `GET /api/files/limits`
 * answers with the values in force (an admin can change them at run time). The checks only catch the obvious
 * cases early; the server's 413/429 stays the final word and is shown as it comes.
 */
export const defaultFileLimits = { maxBytes: 20 * 1024 * 1024, maxFiles: 200 } as const;

/** The upload limits in force now. */
export const fetchFileLimits = () => api<FileLimits>('/api/files/limits');

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value >= 10 ? Math.round(value) : value, { maximumFractionDigits: 1 })} ${units[unit]}`;
}

/** Why the server would refuse this file, checked before sending it; null when it may go. */
export function checkFile(file: { size: number }, limits: FileLimits): string | null {
  if (file.size === 0) return t('attachments.empty');
  if (file.size > limits.maxBytes) return t('attachments.tooLarge', { limit: formatBytes(limits.maxBytes) });
  return null;
}

export interface Upload {
  promise: Promise<UploadedFile>;
  abort(): void;
}

/**
 * `POST /api/files` with XMLHttpRequest, because fetch cannot report upload progress.
 * `onProgress` gets whole percentages 0–100. Errors are ApiErrors like the rest of the client's.
 */
export function uploadFile(file: File, onProgress: (percent: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadedFile>((resolve, reject) => {
    xhr.open('POST', '/api/files');
    xhr.withCredentials = true;
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0)
        onProgress(Math.min(100, Math.round((event.loaded / event.total) * 100)));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(100);
        try {
          resolve(JSON.parse(xhr.responseText) as UploadedFile);
        } catch {
          reject(new ApiError(xhr.status, 'HTTP_INVALID_BODY', t('attachments.unreadableAnswer')));
        }
        return;
      }
      const headers = new Headers();
      const retryAfter = xhr.getResponseHeader('retry-after');
      if (retryAfter) headers.set('retry-after', retryAfter);
      // Reuses the fetch client's error mapping, so 413, 415 and 429 read the same everywhere.
      const status = xhr.status >= 400 && xhr.status <= 599 ? xhr.status : 500;
      void errorFromResponse(
        new Response(xhr.responseText || null, { status, statusText: xhr.statusText, headers }),
      ).then(reject);
    };
    xhr.onerror = () => reject(new TypeError(t('attachments.unreachable')));
    xhr.onabort = () => reject(new DOMException(t('attachments.cancelled'), 'AbortError'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

export const getFile = (id: string, signal?: AbortSignal) =>
  api<UploadedFile>(`/api/files/${encodeURIComponent(id)}`, signal ? { signal } : {});

export const deleteFile = (id: string) => api<void>(`/api/files/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** Poll delays: quick at first (small text files are ready in well under a second), then easing off to 5 s. */
export function pollDelay(attempt: number): number {
  return Math.min(5000, Math.round(500 * 1.5 ** attempt));
}
