import { SwitchyardError } from '@switchyard/core';
import { createAudioHttpClient } from '../audio-http';
import {
  type AudioProvider,
  type AudioProviderConfig,
  audioProviderSpecVersion,
  type TranscriptionRequest,
} from '../spec';
import { readTranscript, transcriptionForm } from '../transcript';

const defaultTranscriptionModel = 'whisper-1';
const defaultSpeechModel = 'tts-1';

/**
 * OpenAI's audio API and the servers that copy it (Groq, Speaches / faster-whisper-server, vLLM, LocalAI):
 * POST {baseURL}/audio/transcriptions and /audio/translations (multipart), /audio/speech (JSON).
 * `baseURL` includes `/v1`.
 */
export function createOpenAIAudioProvider(config: AudioProviderConfig): AudioProvider {
  const http = createAudioHttpClient(config);

  async function recognise(path: string, request: TranscriptionRequest, signal?: AbortSignal) {
    const form = transcriptionForm(request, request.model ?? config.model ?? defaultTranscriptionModel);
    if (request.format === 'verbose_json') {
      for (const granularity of request.timestampGranularities ?? []) {
        form.append('timestamp_granularities[]', granularity);
      }
    }
    const answer = await http.post(path, form, signal);
    return readTranscript(http, answer, request.format);
  }

  return {
    specVersion: audioProviderSpecVersion,
    id: config.id,
    type: 'openai-compatible',
    transcribe: (request, options = {}) => recognise('/audio/transcriptions', request, options.signal),
    translate: (request, options = {}) => {
      // OpenAI's translations endpoint takes no language: the target is always English.
      const { language: _language, timestampGranularities: _granularities, ...rest } = request;
      return recognise('/audio/translations', rest, options.signal);
    },
    async speak(request, options = {}) {
      if (request.input.trim() === '') {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'The text to speak must not be empty', { isRetryable: false });
      }
      const answer = await http.post(
        '/audio/speech',
        {
          model: request.model ?? config.model ?? defaultSpeechModel,
          input: request.input,
          voice: request.voice,
          response_format: request.format,
          ...(request.speed === undefined ? {} : { speed: request.speed }),
        },
        options.signal,
      );
      if (answer.bytes.length === 0) {
        throw new SwitchyardError('SY_ERR_UPSTREAM', `Upstream ${config.id} answered with no audio`, { status: 502 });
      }
      return { bytes: answer.bytes, contentType: answer.contentType };
    },
    close: () => http.close(),
  };
}
