import { SwitchyardError } from '@switchyard/core';
import { type AudioAnswer, type AudioHttpClient, createAudioHttpClient, parsedOrText } from '../audio-http';
import {
  type AudioProvider,
  type AudioProviderConfig,
  audioProviderSpecVersion,
  type TranscriptionRequest,
} from '../spec';
import { readTranscript, transcriptionForm } from '../transcript';

/** What whisper.cpp says when the request, not the server, is at fault. */
const clientFaults = [/no 'file' field/i, /failed to read (the )?wav/i, /too large/i];

/**
 * whisper.cpp's own server (examples/server): POST {baseURL}/inference, multipart with `file`,
 * `temperature`, `response_format`, `language`, `prompt` and `translate`. It loads one model at start,
 * so `model` is not sent. It reports failures as `{"error": "..."}`, in older versions with HTTP 200:
 * such a body is a failure whatever the status.
 */
export function createWhisperCppProvider(config: AudioProviderConfig): AudioProvider {
  const http = createAudioHttpClient(config);

  async function infer(request: TranscriptionRequest, translate: boolean, signal?: AbortSignal) {
    const form = transcriptionForm(request, undefined);
    if (translate) form.append('translate', 'true');
    const answer = await http.post('/inference', form, signal);
    throwReportedError(http, answer);
    return readTranscript(http, answer, request.format);
  }

  return {
    specVersion: audioProviderSpecVersion,
    id: config.id,
    type: 'whisper-cpp',
    transcribe: (request, options = {}) => infer(request, false, options.signal),
    translate: (request, options = {}) =>
      infer({ ...request, language: request.language ?? 'auto' }, true, options.signal),
    async speak() {
      throw new SwitchyardError('SY_ERR_VALIDATION', `The audio model ${config.id} (whisper.cpp) cannot speak`, {
        isRetryable: false,
      });
    },
    close: () => http.close(),
  };
}

function throwReportedError(http: AudioHttpClient, answer: AudioAnswer): void {
  if (!answer.contentType.includes('json')) return;
  const body = parsedOrText(answer.bytes.toString('utf8')) as { error?: unknown; text?: unknown } | null;
  if (typeof body?.error !== 'string' || typeof body.text === 'string') return;
  const provider = http.errorContext.providerId;
  const message = body.error.slice(0, 300);
  if (clientFaults.some((pattern) => pattern.test(message))) {
    throw new SwitchyardError('SY_ERR_UPSTREAM_BAD_REQUEST', `Upstream ${provider} rejected the audio: ${message}`, {
      status: 400,
      isRetryable: false,
      details: { provider },
    });
  }
  throw new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${provider} failed: ${message}`, {
    status: 502,
    isRetryable: true,
    details: { provider },
  });
}
