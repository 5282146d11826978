import type { OpenAIModel } from '@switchyard/api-schemas';
import { api, request } from './api';

/** Whether a transcription model is configured (GET /v1/models lists audio models with their kind). */
export async function hasTranscriptionModel(): Promise<boolean> {
  const list = await api<{ data: OpenAIModel[] }>('/v1/models');
  return list.data.some((model) => model.kind === 'transcription');
}

/** The file extension for a recorder's MIME type (the server reads the container from the bytes anyway). */
function extensionOf(mimeType: string): string {
  if (mimeType.includes('ogg')) return 'ogg';
  if (mimeType.includes('mp4')) return 'm4a';
  if (mimeType.includes('wav')) return 'wav';
  return 'webm';
}

/** Sends a recording to POST /v1/audio/transcriptions (the default transcription model) and returns its text. */
export async function transcribe(recording: Blob, signal?: AbortSignal): Promise<string> {
  const form = new FormData();
  form.append('file', new File([recording], `recording.${extensionOf(recording.type)}`, { type: recording.type }));
  form.append('response_format', 'json');
  const response = await request('/v1/audio/transcriptions', {
    method: 'POST',
    body: form,
    ...(signal ? { signal } : {}),
  });
  const body = (await response.json()) as { text?: unknown };
  return typeof body.text === 'string' ? body.text : '';
}
