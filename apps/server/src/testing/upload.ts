import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from './browser';
import { type Json, readJson } from './read-json';

/** A multipart upload from the browser's session, as a file input would send it. */
export function uploadFile(
  baseUrl: string,
  browser: Browser,
  name: string,
  bytes: Buffer,
  contentType = 'application/octet-stream',
): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), name);
  const cookie = [...browser.cookies].map(([key, value]) => `${key}=${value}`).join('; ');
  return fetch(`${baseUrl}/api/files`, { method: 'POST', headers: { cookie, origin: baseUrl }, body: form });
}

/** Polls a file until its extraction job has finished one way or the other. */
export async function settledFile(browser: Browser, id: string, timeoutMs = 30_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const file = await readJson(await browser.get(`/api/files/${id}`));
    if (file.status !== 'pending') return file;
    await sleep(100);
  }
  throw new Error(`file ${id} still pending after ${timeoutMs} ms`);
}
