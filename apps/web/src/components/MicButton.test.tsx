// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { MicButton } from './MicButton';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A MediaRecorder that hands over one chunk of "audio" when stopped, as browsers do. */
class FakeMediaRecorder extends EventTarget {
  static last: FakeMediaRecorder | null = null;
  readonly mimeType = 'audio/webm;codecs=opus';
  state: 'inactive' | 'recording' = 'inactive';
  constructor(readonly stream: unknown) {
    super();
    FakeMediaRecorder.last = this;
  }
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    const data = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4])], { type: this.mimeType });
    this.dispatchEvent(Object.assign(new Event('dataavailable'), { data }));
    this.dispatchEvent(new Event('stop'));
  }
}

let container: HTMLDivElement;
let mounted: Mounted;
let inserted: string[];
let uploads: FormData[];
let stoppedTracks: number;
let models: Array<{ id: string; kind: string }>;
let transcriptionAnswer: () => Response;

const settle = () =>
  act(async () => {
    for (let i = 0; i < 8; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
  });
const micButton = () => container.querySelector('button') as HTMLButtonElement | null;
const click = async (element: HTMLElement) => {
  await act(async () => element.click());
  await settle();
};

beforeEach(async () => {
  inserted = [];
  uploads = [];
  stoppedTracks = 0;
  models = [
    { id: 'echo', kind: 'chat' },
    { id: 'whisper-1', kind: 'transcription' },
  ];
  transcriptionAnswer = () => json(200, { text: ' hello world ' });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      if (url === '/v1/models') return json(200, { object: 'list', data: models });
      if (url === '/v1/audio/transcriptions' && init.method === 'POST') {
        uploads.push(init.body as FormData);
        return transcriptionAnswer();
      }
      if (url === '/v1/audio/jobs/audio_1/events') {
        const frames =
          'event: status\ndata: {"status":"queued"}\n\n' +
          'event: completed\ndata: {"id":"audio_1","status":"completed","message_id":"msg_audio_1"}\n\n';
        return new Response(frames, { status: 200, headers: { 'content-type': 'text/event-stream' } });
      }
      return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'no route' } });
    }),
  );
  vi.stubGlobal('MediaRecorder', FakeMediaRecorder);
  Object.defineProperty(navigator, 'mediaDevices', {
    configurable: true,
    value: {
      getUserMedia: vi.fn(async () => ({ getTracks: () => [{ stop: () => (stoppedTracks += 1) }] })),
    },
  });
});

afterEach(async () => {
  await mounted?.unmount();
  vi.unstubAllGlobals();
});

async function mount() {
  mounted = await mountWithQueryClient(<MicButton onTranscript={(text) => inserted.push(text)} />);
  ({ container } = mounted);
  await settle();
}

describe('MicButton', () => {
  it('records, uploads the recording, and puts the transcript into the composer', async () => {
    await mount();
    const button = micButton();
    expect(button?.getAttribute('aria-label')).toBe('Record voice');

    await click(button as HTMLButtonElement);
    expect(micButton()?.getAttribute('aria-label')).toBe('Stop recording');
    expect(micButton()?.getAttribute('aria-pressed')).toBe('true');
    expect(FakeMediaRecorder.last?.state).toBe('recording');

    await click(micButton() as HTMLButtonElement);
    expect(uploads).toHaveLength(1);
    const file = uploads[0]?.get('file') as File;
    expect(file.name).toBe('recording.webm');
    expect(file.size).toBe(8);
    expect(uploads[0]?.get('response_format')).toBe('json');
    expect(inserted).toEqual(['hello world']);
    // The microphone is let go once the recording ends.
    expect(stoppedTracks).toBe(1);
    expect(micButton()?.getAttribute('aria-label')).toBe('Record voice');
  });

  it('shows the server error instead of inserting anything', async () => {
    transcriptionAnswer = () =>
      json(429, { error: { code: 'SY_ERR_QUOTA_EXCEEDED', message: 'Daily audio quota of 60 minutes reached' } });
    await mount();
    await click(micButton() as HTMLButtonElement);
    await click(micButton() as HTMLButtonElement);
    expect(inserted).toEqual([]);
    expect(container.querySelector('[role="alert"]')?.textContent).toContain('Daily audio quota');
  });

  it('sends a long recording to a job that posts it to the chat, then has the chat refreshed', async () => {
    transcriptionAnswer = () =>
      json(202, {
        id: 'audio_1',
        status: 'queued',
        status_url: '/v1/audio/jobs/audio_1',
        events_url: '/v1/audio/jobs/audio_1/events',
      });
    const posted: string[] = [];
    mounted = await mountWithQueryClient(
      <MicButton
        onTranscript={(text) => inserted.push(text)}
        ensureChat={async () => 'chat_7'}
        onPosted={(chatId) => posted.push(chatId)}
        longRecordingBytes={4}
      />,
    );
    ({ container } = mounted);
    await settle();
    await click(micButton() as HTMLButtonElement);
    await click(micButton() as HTMLButtonElement);
    await settle();
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.get('async')).toBe('true');
    expect(uploads[0]?.get('conversation_id')).toBe('chat_7');
    expect(posted).toEqual(['chat_7']);
    // Not into the composer: the transcript is a message of the chat.
    expect(inserted).toEqual([]);
    expect(micButton()?.getAttribute('aria-label')).toBe('Record voice');
  });

  it('keeps a short recording for the composer even when a chat is open', async () => {
    const posted: string[] = [];
    mounted = await mountWithQueryClient(
      <MicButton
        onTranscript={(text) => inserted.push(text)}
        ensureChat={async () => 'chat_7'}
        onPosted={(chatId) => posted.push(chatId)}
      />,
    );
    ({ container } = mounted);
    await settle();
    await click(micButton() as HTMLButtonElement);
    await click(micButton() as HTMLButtonElement);
    expect(uploads[0]?.get('async')).toBeNull();
    expect(inserted).toEqual(['hello world']);
    expect(posted).toEqual([]);
  });

  it('is not shown when no transcription model is configured', async () => {
    models = [{ id: 'echo', kind: 'chat' }];
    await mount();
    expect(micButton()).toBeNull();
  });
});
