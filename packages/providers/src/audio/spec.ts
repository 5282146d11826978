/**
 * The audio provider spec, version 1: speech to text (transcription, translation into English)
 * and text to speech. Adapters receive a plain config object and never touch Fastify or queue types.
 */
export const audioProviderSpecVersion = 1 as const;

/** OpenAI's transcript formats; every adapter answers in each of them. */
export const transcriptFormats = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type TranscriptFormat = (typeof transcriptFormats)[number];

export interface AudioFile {
  bytes: Buffer;
  /** The client's name for the file (upstreams look at its extension), already sanitized. */
  fileName: string;
  mimeType: string;
}

export interface TranscriptionRequest {
  file: AudioFile;
  /** The upstream model name; the config's `model` when absent. */
  model?: string;
  /** ISO-639-1 language of the audio; detected when absent. */
  language?: string;
  /** Text that guides the style or continues a previous segment. */
  prompt?: string;
  temperature?: number;
  format: TranscriptFormat;
  /** `word` and/or `segment` (verbose_json only). */
  timestampGranularities?: Array<'word' | 'segment'>;
}

export interface Transcript {
  format: TranscriptFormat;
  /** What the upstream answered, re-encoded as this format's body (JSON text for json and verbose_json). */
  body: string;
  contentType: string;
  /** The plain text of the transcript, when the format holds it without timings (json, verbose_json, text). */
  text: string | undefined;
  /** Seconds of audio, when the upstream reports it (verbose_json). */
  durationSeconds: number | undefined;
}

export interface SpeechRequest {
  input: string;
  /** The upstream model name; the config's `model` when absent. */
  model?: string;
  voice: string;
  /** mp3, opus, aac, flac, wav or pcm. */
  format: string;
  speed?: number;
}

export interface Speech {
  bytes: Buffer;
  contentType: string;
}

export interface AudioCallOptions {
  /** Aborted when the client disconnects or a job is cancelled. */
  signal?: AbortSignal;
}

export type AudioProviderType = 'openai-compatible' | 'whisper-cpp';

export interface AudioProviderConfig {
  /** Our name for this provider instance, e.g. `groq-whisper`. */
  id: string;
  type: AudioProviderType;
  /** OpenAI-compatible: the API root including `/v1`. whisper.cpp: the server root (`http://host:8080`). */
  baseURL: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** The upstream model name (`whisper-1`, `Systran/faster-whisper-small`, `tts-1`). */
  model?: string;
  /** The whole exchange, in milliseconds. Default 300 s. */
  timeoutMs?: number;
  proxy?: string;
}

export interface AudioProvider {
  readonly specVersion: typeof audioProviderSpecVersion;
  readonly id: string;
  readonly type: AudioProviderType;
  /** Speech to text in the audio's language; throws SwitchyardError on upstream failure. */
  transcribe(request: TranscriptionRequest, options?: AudioCallOptions): Promise<Transcript>;
  /** Speech to English text. */
  translate(request: TranscriptionRequest, options?: AudioCallOptions): Promise<Transcript>;
  /** Text to speech; adapters whose upstream cannot speak throw SY_ERR_VALIDATION. */
  speak(request: SpeechRequest, options?: AudioCallOptions): Promise<Speech>;
  close(): Promise<void>;
}
