import type { OpenAIModel } from '@switchyard/api-schemas';
import { api, request } from './api';
import { whenPainted } from './first-paint';
import { readSse } from './sse';

/** The kinds of model configured (GET /v1/models lists every model with its kind): transcription, speech, ... */
export async function fetchModelKinds(): Promise<string[]> {
  const list = await api<{ data: OpenAIModel[] }>('/v1/models');
  return [...new Set(list.data.flatMap((model) => (model.kind ? [model.kind] : [])))];
}

export const modelKindsQuery = {
  queryKey: ['voice', 'model-kinds'],
  queryFn: whenPainted(fetchModelKinds),
  staleTime: 60_000,
};

/** An answer as words to say: code blocks are named, not read out, and Markdown marks dropped. */
export function speakableText(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, ' (code) ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[#*_`>|~]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 4_096);
}

/** POST /v1/audio/speech with the default speech model; the audio as a Blob (MP3). */
export async function speak(text: string, signal?: AbortSignal): Promise<Blob> {
  const response = await request('/v1/audio/speech', {
    method: 'POST',
    body: JSON.stringify({ input: speakableText(text), voice: 'alloy', response_format: 'mp3' }),
    ...(signal ? { signal } : {}),
  });
  return response.blob();
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

/** A transcription job as POST /v1/audio/transcriptions (async=true) answers it. */
export interface TranscriptionJob {
  id: string;
  status: string;
  status_url: string;
  events_url: string;
  message_id?: string;
}

/**
 * Sends a long recording to be transcribed in a job whose transcript is posted to the chat as the
 * user's message (async=true with conversation_id); answers the job (202).
 */
export async function transcribeIntoChat(
  recording: Blob,
  chatId: string,
  signal?: AbortSignal,
): Promise<TranscriptionJob> {
  const form = new FormData();
  form.append('file', new File([recording], `recording.${extensionOf(recording.type)}`, { type: recording.type }));
  form.append('response_format', 'json');
  form.append('async', 'true');
  form.append('conversation_id', chatId);
  const response = await request('/v1/audio/transcriptions', {
    method: 'POST',
    body: form,
    ...(signal ? { signal } : {}),
  });
  return (await response.json()) as TranscriptionJob;
}

/** Follows a transcription job's events until it completed or failed; answers its final state. */
export async function waitForTranscriptionJob(
  job: TranscriptionJob,
  signal?: AbortSignal,
): Promise<TranscriptionJob & { error?: { message: string } }> {
  const response = await request(job.events_url, signal ? { signal } : {});
  if (response.body) {
    for await (const event of readSse(response.body)) {
      if (event.event === 'completed' || event.event === 'failed') {
        return JSON.parse(event.data) as TranscriptionJob & { error?: { message: string } };
      }
    }
  }
  // The stream ended without the last event (a proxy cut it): the job's state says how it went.
  return api<TranscriptionJob>(job.status_url, signal ? { signal } : {});
}
