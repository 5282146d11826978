// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { speakableText } from '../lib/voice';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { ReadAloudButton } from './ReadAloudButton';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** An <audio> stand-in that records what it was given and plays until told to stop. */
class FakeAudio extends EventTarget {
  static played: string[] = [];
  paused = true;
  constructor(readonly src: string) {
    super();
  }
  async play() {
    this.paused = false;
    FakeAudio.played.push(this.src);
  }
  pause() {
    this.paused = true;
  }
}

let container: HTMLDivElement;
let mounted: Mounted;
let spoken: unknown[];
let kinds: string[];

const settle = () =>
  act(async () => {
    for (let i = 0; i < 8; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
  });
const button = () => container.querySelector('button') as HTMLButtonElement | null;

beforeEach(() => {
  spoken = [];
  kinds = ['chat', 'speech'];
  FakeAudio.played = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      if (url === '/v1/models') {
        return json(200, { object: 'list', data: kinds.map((kind, index) => ({ id: `m${index}`, kind })) });
      }
      if (url === '/v1/audio/speech' && init.method === 'POST') {
        spoken.push(JSON.parse(String(init.body)));
        return new Response(new Uint8Array([0x49, 0x44, 0x33]), { headers: { 'content-type': 'audio/mpeg' } });
      }
      return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'no route' } });
    }),
  );
  vi.stubGlobal('Audio', FakeAudio);
  vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:speech');
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
});

afterEach(async () => {
  await mounted?.unmount();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function mount(text: string) {
  mounted = await mountWithQueryClient(<ReadAloudButton text={text} />);
  ({ container } = mounted);
  await settle();
}

describe('ReadAloudButton', () => {
  it('speaks the answer without its Markdown and code, and stops on a second click', async () => {
    await mount('**Hello** there!\n\n```js\nconsole.log(1)\n```\nSee [the docs](https://example.com).');
    expect(button()?.textContent).toBe('Read aloud');
    await act(async () => button()?.click());
    await settle();
    expect(spoken).toEqual([{ input: 'Hello there! (code) See the docs.', voice: 'alloy', response_format: 'mp3' }]);
    expect(FakeAudio.played).toEqual(['blob:speech']);
    expect(button()?.textContent).toBe('Stop reading');
    await act(async () => button()?.click());
    expect(button()?.textContent).toBe('Read aloud');
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:speech');
  });

  it('is not shown without a speech model', async () => {
    kinds = ['chat', 'transcription'];
    await mount('Hello');
    expect(button()).toBeNull();
  });

  it('keeps long answers within the speech API limit', () => {
    expect(speakableText('word '.repeat(2_000))).toHaveLength(4_096);
  });
});
