// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { ChatPage } from './Chat';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Records each upload the chat starts (POST /api/files goes through XMLHttpRequest for its progress). */
class RecordingXhr {
  static sent: Array<{ method: string; url: string; file: File | null }> = [];
  upload = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = '';
  responseType = '';
  withCredentials = false;
  private method = '';
  private url = '';
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  send(body: FormData) {
    RecordingXhr.sent.push({ method: this.method, url: this.url, file: body.get('file') as File | null });
  }
  abort() {
    this.onabort?.();
  }
  getResponseHeader() {
    return null;
  }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function route(path: string): Response {
  if (path === '/v1/chat/models') return json(200, { default: 'smart', models: [{ id: 'smart', provider: 'x' }] });
  if (path === '/api/apps') return json(200, { apps: [] });
  if (path === '/api/files/limits') return json(200, { maxBytes: 1000, maxFiles: 5 });
  if (path === '/api/chats/folders') return json(200, { folders: [] });
  if (path === '/api/chats') return json(200, { chats: [], limit: 100, offset: 0 });
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: path } });
}

let mounted: Mounted;

beforeEach(async () => {
  RecordingXhr.sent = [];
  history.replaceState(null, '', '/chat');
  vi.stubGlobal('XMLHttpRequest', RecordingXhr);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => route(new URL(input, 'http://localhost').pathname)),
  );
  mounted = await mountWithQueryClient(<ChatPage />);
  await until(() => expect(composer()).not.toBeNull());
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
});

const composer = () => mounted.container.querySelector('textarea[aria-label="Message"]') as HTMLTextAreaElement | null;
const chatArea = () => mounted.container.querySelector('section[aria-label="Chat"]') as HTMLElement;
const attached = () =>
  [...mounted.container.querySelectorAll('[aria-label="Attachments"] li')].map((item) =>
    item.querySelector('span')?.textContent?.trim(),
  );

/** A browser event carrying files the way a drop (dataTransfer) or a paste (clipboardData) does. */
function eventWithFiles(type: string, carrier: 'dataTransfer' | 'clipboardData', files: File[]): Event {
  const event = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(event, carrier, {
    value: { files, types: files.length > 0 ? ['Files'] : [], items: [] },
  });
  return event;
}

describe('attaching by dropping or pasting', () => {
  it('attaches files dropped anywhere on the conversation area, showing the overlay while dragging', async () => {
    const file = new File(['dropped text'], 'dropped.txt', { type: 'text/plain' });
    // Dropped on the empty conversation, not on the composer or the Attach button.
    const conversation = chatArea().querySelector('div.flex-1') ?? chatArea();
    await act(async () => {
      conversation.dispatchEvent(eventWithFiles('dragover', 'dataTransfer', [file]));
    });
    expect(mounted.container.querySelector('[data-testid="drop-overlay"]')).not.toBeNull();
    const drop = eventWithFiles('drop', 'dataTransfer', [file]);
    await act(async () => {
      conversation.dispatchEvent(drop);
    });
    expect(drop.defaultPrevented).toBe(true);
    expect(mounted.container.querySelector('[data-testid="drop-overlay"]')).toBeNull();
    await until(() => expect(attached()).toEqual(['dropped.txt']));
    expect(RecordingXhr.sent).toHaveLength(1);
    expect(RecordingXhr.sent[0]).toMatchObject({ method: 'POST', url: '/api/files' });
    expect(RecordingXhr.sent[0]?.file?.name).toBe('dropped.txt');
  });

  it('attaches files pasted into the composer, and leaves a paste of text alone', async () => {
    const text = eventWithFiles('paste', 'clipboardData', []);
    await act(async () => {
      composer()?.dispatchEvent(text);
    });
    expect(text.defaultPrevented).toBe(false);
    expect(RecordingXhr.sent).toHaveLength(0);

    const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'pasted.png', { type: 'image/png' });
    const paste = eventWithFiles('paste', 'clipboardData', [image]);
    await act(async () => {
      composer()?.dispatchEvent(paste);
    });
    expect(paste.defaultPrevented).toBe(true);
    await until(() => expect(attached()).toEqual(['pasted.png']));
    expect(RecordingXhr.sent.map((sent) => sent.file?.name)).toEqual(['pasted.png']);
  });
});
