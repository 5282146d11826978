import { upstreamProtocolError } from '../errors';
import type { AudioAnswer, AudioHttpClient } from './audio-http';
import type { Transcript, TranscriptFormat, TranscriptionRequest } from './spec';

const contentTypes: Record<TranscriptFormat, string> = {
  json: 'application/json',
  verbose_json: 'application/json',
  text: 'text/plain; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
};

export function transcriptContentType(format: TranscriptFormat): string {
  return contentTypes[format];
}

/**
 * Reads an upstream's transcript answer in the format asked for. JSON formats must hold a string `text`
 * (an OpenAI-compatible server and whisper.cpp both answer so); timed formats are passed on as they came.
 */
export function readTranscript(
  http: Pick<AudioHttpClient, 'errorContext'>,
  answer: AudioAnswer,
  format: TranscriptFormat,
): Transcript {
  const body = answer.bytes.toString('utf8');
  if (format === 'json' || format === 'verbose_json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw upstreamProtocolError(http.errorContext, 'answered a transcript with invalid JSON', error);
    }
    const fields = parsed as { text?: unknown; duration?: unknown } | null;
    if (typeof fields?.text !== 'string') {
      throw upstreamProtocolError(http.errorContext, 'answered a transcript without a text field');
    }
    const duration = Number(fields.duration);
    return {
      format,
      // json is exactly OpenAI's `{ text }`; verbose_json keeps the upstream's segments and words.
      body: format === 'json' ? JSON.stringify({ text: fields.text.trim() }) : body,
      contentType: contentTypes[format],
      text: fields.text.trim(),
      durationSeconds: Number.isFinite(duration) && duration >= 0 ? duration : undefined,
    };
  }
  return {
    format,
    body,
    contentType: contentTypes[format],
    text: format === 'text' ? body.trim() : undefined,
    durationSeconds: undefined,
  };
}

/** The multipart fields every upstream reads, in OpenAI's spelling. */
export function transcriptionForm(request: TranscriptionRequest, model: string | undefined): FormData {
  const form = new FormData();
  form.append(
    'file',
    new Blob([new Uint8Array(request.file.bytes)], { type: request.file.mimeType }),
    request.file.fileName,
  );
  if (model !== undefined) form.append('model', model);
  if (request.language !== undefined) form.append('language', request.language);
  if (request.prompt !== undefined) form.append('prompt', request.prompt);
  if (request.temperature !== undefined) form.append('temperature', String(request.temperature));
  form.append('response_format', request.format);
  return form;
}
