import { sineWav, wavSeconds } from '../audio/wav';
import { type FakeSegment, looksLikeAudio, type ReceivedAudioForm, readAudioForm, srtOf, vttOf } from './audio-forms';
import { type FakeExchange, type FakeUpstreamServer, startFakeHttpServer } from './fake-http-server';

export interface FakeOpenAIAudioOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get OpenAI's 401. */
  apiKey?: string;
  /** What the audio says; default "hello world". */
  transcript?: (form: ReceivedAudioForm) => string;
}

export interface FakeOpenAIAudioServer extends FakeUpstreamServer {
  /** Every multipart request, parsed, in arrival order. */
  readonly forms: ReceivedAudioForm[];
}

const transcriptFormats = ['json', 'text', 'srt', 'vtt', 'verbose_json'];
const speechFormats: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

function send(exchange: FakeExchange, status: number, body: string | Buffer, contentType: string): void {
  exchange.response.writeHead(status, { 'content-type': contentType });
  exchange.response.end(body);
}

function invalid(exchange: FakeExchange, message: string, param: string | null, status = 400): void {
  send(
    exchange,
    status,
    JSON.stringify({ error: { message, type: 'invalid_request_error', param, code: null } }),
    'application/json',
  );
}

/** Splits a transcript into timed segments of at most four words, spread over the audio. */
export function fakeSegments(text: string, seconds: number): FakeSegment[] {
  const words = text.split(/\s+/).filter(Boolean);
  const groups: string[] = [];
  for (let index = 0; index < words.length; index += 4) groups.push(words.slice(index, index + 4).join(' '));
  const step = seconds / Math.max(1, groups.length);
  return groups.map((group, index) => ({ start: index * step, end: (index + 1) * step, text: group }));
}

/**
 * OpenAI's audio API (and Groq's, Speaches', vLLM's copies of it): POST /v1/audio/transcriptions and
 * /v1/audio/translations with a multipart form, POST /v1/audio/speech with JSON. It checks what the
 * real server checks, with its error bodies: a multipart body, a `file` that is audio, a `model`, a
 * known `response_format`; speech needs `model`, `input` and `voice`.
 */
export async function startFakeOpenAIAudio(options: FakeOpenAIAudioOptions = {}): Promise<FakeOpenAIAudioServer> {
  const forms: ReceivedAudioForm[] = [];
  const server = await startFakeHttpServer(
    async (exchange) => {
      const { record } = exchange;
      if (options.apiKey && record.headers.authorization !== `Bearer ${options.apiKey}`) {
        send(
          exchange,
          401,
          JSON.stringify({
            error: {
              message: 'Incorrect API key provided.',
              type: 'invalid_request_error',
              param: null,
              code: 'invalid_api_key',
            },
          }),
          'application/json',
        );
        return;
      }
      const path = record.path.split('?')[0];
      if (record.method === 'POST' && path === '/v1/audio/speech') return speak(exchange);
      if (record.method !== 'POST' || (path !== '/v1/audio/transcriptions' && path !== '/v1/audio/translations')) {
        invalid(exchange, `Invalid URL (${record.method} ${path})`, null, 404);
        return;
      }
      const form = await readAudioForm(record);
      if (!form) {
        invalid(exchange, 'Invalid Content-Type header (expected multipart/form-data)', null);
        return;
      }
      forms.push(form);
      const field = (name: string) => form.fields[name]?.[0];
      if (!form.file) {
        invalid(exchange, 'You must provide a file.', 'file');
        return;
      }
      if (!field('model')) {
        invalid(exchange, 'you must provide a model parameter', 'model');
        return;
      }
      if (!looksLikeAudio(form.file.bytes)) {
        invalid(
          exchange,
          "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
          null,
        );
        return;
      }
      const format = field('response_format') ?? 'json';
      if (!transcriptFormats.includes(format)) {
        invalid(exchange, `Invalid value for 'response_format': '${format}'.`, 'response_format');
        return;
      }
      const text = options.transcript?.(form) ?? 'hello world';
      const seconds = wavSeconds(form.file.bytes) ?? 1;
      const segments = fakeSegments(text, seconds);
      const translating = path.endsWith('translations');
      switch (format) {
        case 'text':
          send(exchange, 200, `${text}\n`, 'text/plain; charset=utf-8');
          return;
        case 'srt':
          send(exchange, 200, srtOf(segments), 'text/plain; charset=utf-8');
          return;
        case 'vtt':
          send(exchange, 200, vttOf(segments), 'text/plain; charset=utf-8');
          return;
        case 'verbose_json': {
          const granularities = form.fields['timestamp_granularities[]'] ?? ['segment'];
          const words = text.split(/\s+/).filter(Boolean);
          const step = seconds / Math.max(1, words.length);
          send(
            exchange,
            200,
            JSON.stringify({
              task: translating ? 'translate' : 'transcribe',
              language: translating ? 'english' : (field('language') ?? 'english'),
              duration: seconds,
              text,
              ...(granularities.includes('segment')
                ? { segments: segments.map((segment, id) => ({ id, seek: 0, ...segment, tokens: [], temperature: 0 })) }
                : {}),
              ...(granularities.includes('word')
                ? { words: words.map((word, index) => ({ word, start: index * step, end: (index + 1) * step })) }
                : {}),
            }),
            'application/json',
          );
          return;
        }
        default:
          send(exchange, 200, JSON.stringify({ text }), 'application/json');
      }
    },
    (exchange, behaviour) =>
      send(
        exchange,
        behaviour.status,
        JSON.stringify(
          behaviour.body ?? {
            error: { message: 'The server had an error', type: 'server_error', param: null, code: null },
          },
        ),
        'application/json',
      ),
    '/v1',
  );

  function speak(exchange: FakeExchange): void {
    const body = exchange.record.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null) {
      invalid(exchange, 'We could not parse the JSON body of your request.', null);
      return;
    }
    for (const name of ['model', 'input', 'voice']) {
      if (typeof body[name] !== 'string' || body[name] === '') {
        invalid(exchange, `Missing required parameter: '${name}'.`, name);
        return;
      }
    }
    const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
    const contentType = speechFormats[format];
    if (!contentType) {
      invalid(exchange, `Invalid value for 'response_format': '${format}'.`, 'response_format');
      return;
    }
    const wav = sineWav({ seconds: 0.5 });
    // Only WAV is real audio here; the other formats get their container's magic bytes and filler.
    const bytes =
      format === 'wav'
        ? wav
        : format === 'mp3'
          ? Buffer.concat([Buffer.from('ID3'), Buffer.alloc(64)])
          : Buffer.concat([Buffer.from(format === 'flac' ? 'fLaC' : 'OggS'), Buffer.alloc(64)]);
    send(exchange, 200, bytes, contentType);
  }

  return Object.assign(server, { forms });
}
