import { wavSeconds } from '../audio/wav';
import { type ReceivedAudioForm, readAudioForm, srtOf, vttOf } from './audio-forms';
import { type FakeExchange, type FakeUpstreamServer, startFakeHttpServer } from './fake-http-server';
import { fakeSegments } from './openai-audio-server';

export interface FakeWhisperCppOptions {
  /** What the audio says; default "hello world". */
  transcript?: (form: ReceivedAudioForm) => string;
}

export interface FakeWhisperCppServer extends FakeUpstreamServer {
  readonly forms: ReceivedAudioForm[];
}

function send(exchange: FakeExchange, status: number, body: string, contentType: string): void {
  exchange.response.writeHead(status, { 'content-type': contentType });
  exchange.response.end(body);
}

/**
 * whisper.cpp's examples/server: POST /inference with a multipart form (`file`, `temperature`,
 * `response_format`, `language`, `prompt`, `translate`). Like the real one (without --convert) it
 * reads only WAV, and reports failures as `{"error": "..."}` with HTTP 200.
 */
export async function startFakeWhisperCpp(options: FakeWhisperCppOptions = {}): Promise<FakeWhisperCppServer> {
  const forms: ReceivedAudioForm[] = [];
  const server = await startFakeHttpServer(
    async (exchange) => {
      const { record } = exchange;
      if (record.method !== 'POST' || record.path.split('?')[0] !== '/inference') {
        send(exchange, 404, 'File Not Found', 'text/plain');
        return;
      }
      const form = (await readAudioForm(record)) ?? { path: record.path, fields: {}, file: undefined, fileFields: [] };
      forms.push(form);
      const field = (name: string) => form.fields[name]?.[0];
      if (!form.file) {
        send(exchange, 200, JSON.stringify({ error: "no 'file' field in the request" }), 'application/json');
        return;
      }
      const seconds = wavSeconds(form.file.bytes);
      if (seconds === undefined) {
        send(exchange, 200, JSON.stringify({ error: 'failed to read WAV file' }), 'application/json');
        return;
      }
      const text = options.transcript?.(form) ?? 'hello world';
      const segments = fakeSegments(text, seconds);
      const translate = field('translate') === 'true';
      switch (field('response_format') ?? 'json') {
        case 'text':
          send(exchange, 200, ` ${text}\n`, 'text/html; charset=utf-8');
          return;
        case 'srt':
          send(exchange, 200, srtOf(segments), 'application/x-subrip');
          return;
        case 'vtt':
          send(exchange, 200, vttOf(segments), 'text/vtt');
          return;
        case 'verbose_json':
          send(
            exchange,
            200,
            JSON.stringify({
              task: translate ? 'translate' : 'transcribe',
              language: translate ? 'english' : (field('language') ?? 'english'),
              duration: seconds,
              text: ` ${text}`,
              segments: segments.map((segment, id) => ({
                id,
                ...segment,
                temperature: Number(field('temperature') ?? 0),
              })),
            }),
            'application/json',
          );
          return;
        default:
          send(exchange, 200, JSON.stringify({ text: ` ${text}\n` }), 'application/json');
      }
    },
    (exchange, behaviour) =>
      send(
        exchange,
        behaviour.status,
        JSON.stringify(behaviour.body ?? { error: 'failed to process audio' }),
        'application/json',
      ),
  );
  return Object.assign(server, { forms });
}
