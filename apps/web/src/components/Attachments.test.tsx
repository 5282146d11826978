// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttachButton, AttachmentList, type Attachments, useAttachments } from './Attachments';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Stands in for XMLHttpRequest: the test decides when progress, success or failure happen. */
class FakeXhr {
  static sent: FakeXhr[] = [];
  upload: { onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  statusText = '';
  responseText = '';
  responseType = '';
  withCredentials = false;
  method = '';
  url = '';
  body: FormData | null = null;
  aborted = false;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  getResponseHeader() {
    return null;
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

type Call = { method: string; url: string };
let calls: Call[];
let fileAnswers: Array<() => Response>;
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let container: HTMLDivElement;
let root: Root;
let hook: Attachments;

function Harness({ maxBytes }: { maxBytes?: number }) {
  hook = useAttachments(maxBytes === undefined ? {} : { maxBytes });
  return (
    <>
      <AttachButton attachments={hook} />
      <AttachmentList attachments={hook} />
    </>
  );
}

async function mount(maxBytes?: number) {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  await act(async () => root.render(<Harness {...(maxBytes === undefined ? {} : { maxBytes })} />));
}

const file = (name = 'notes.txt', text = 'hello world') => new File([text], name, { type: 'text/plain' });
const chip = (name: string) =>
  [...container.querySelectorAll('li')].find((item) => item.textContent?.includes(name)) as HTMLLIElement;
const progressOf = (name: string) => chip(name).querySelector('[role="progressbar"]');
const later = (ms: number) => act(async () => void (await vi.advanceTimersByTimeAsync(ms)));
const run = (action: () => void) => act(async () => action());

beforeEach(() => {
  vi.useFakeTimers();
  FakeXhr.sent = [];
  calls = [];
  fileAnswers = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, url });
      if (method === 'DELETE') return new Response(null, { status: 204 });
      const answer = fileAnswers.shift();
      return answer ? answer() : json(500, { error: { code: 'SY_ERR_INTERNAL', message: 'no answer scripted' } });
    }),
  );
});

afterEach(async () => {
  await act(async () => root.unmount());
  container.remove();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('useAttachments with AttachButton and AttachmentList', () => {
  it('uploads with progress, polls with back-off until ready, then lists the file id as ready', async () => {
    await mount();
    await run(() => hook.add([file()]));
    const xhr = FakeXhr.sent[0];
    expect(xhr?.method).toBe('POST');
    expect(xhr?.url).toBe('/api/files');
    expect((xhr?.body?.get('file') as File | undefined)?.name).toBe('notes.txt');
    expect(progressOf('notes.txt')?.getAttribute('aria-valuenow')).toBe('0');
    expect(hook.busy).toBe(true);

    await run(() => xhr?.progress(42, 100));
    expect(progressOf('notes.txt')?.getAttribute('aria-valuenow')).toBe('42');
    expect(chip('notes.txt').textContent).toContain('11 B');

    fileAnswers.push(
      () => json(200, { id: 'file_1', status: 'pending' }),
      () => json(200, { id: 'file_1', status: 'ready', extractedCharacters: 11 }),
    );
    await run(() => xhr?.respond(201, { id: 'file_1', name: 'notes.txt', status: 'pending' }));
    expect(progressOf('notes.txt')).toBeNull();
    expect(chip('notes.txt').textContent).toContain('Extracting…');
    expect(hook.readyIds).toEqual([]);
    expect(hook.busy).toBe(true);

    await later(499);
    expect(calls).toEqual([]);
    await later(1);
    expect(calls).toEqual([{ method: 'GET', url: '/api/files/file_1' }]);
    // Still pending: the next look comes later than the first (750 ms, not 500).
    await later(700);
    expect(calls).toHaveLength(1);
    await later(50);
    expect(calls).toHaveLength(2);
    expect(chip('notes.txt').textContent).toContain('Ready');
    expect(hook.readyIds).toEqual(['file_1']);
    expect(hook.busy).toBe(false);

    await later(30_000);
    expect(calls).toHaveLength(2);
  });

  it('shows a failed extraction with its reason and keeps it out of readyIds', async () => {
    await mount();
    await run(() => hook.add([file('scan.png')]));
    fileAnswers.push(() => json(200, { id: 'file_2', status: 'failed', error: 'no text found in the image' }));
    await run(() => FakeXhr.sent[0]?.respond(201, { id: 'file_2', status: 'pending' }));
    await later(500);
    expect(chip('scan.png').textContent).toContain('Failed: no text found in the image');
    expect(hook.readyIds).toEqual([]);
    expect(hook.busy).toBe(false);
  });

  it('remove aborts an upload in flight without calling the server, and deletes a stored file', async () => {
    await mount();
    await run(() => hook.add([file('a.txt'), file('b.txt')]));
    expect(FakeXhr.sent).toHaveLength(2);
    const [first, second] = FakeXhr.sent;

    const removeA = container.querySelector('button[aria-label="Remove a.txt"]') as HTMLButtonElement;
    await run(() => removeA.click());
    expect(first?.aborted).toBe(true);
    expect(chip('a.txt')).toBeUndefined();
    expect(calls).toEqual([]);

    fileAnswers.push(() => json(200, { id: 'file_b', status: 'ready' }));
    await run(() => second?.respond(201, { id: 'file_b', status: 'pending' }));
    await later(500);
    expect(hook.readyIds).toEqual(['file_b']);
    await run(() => (container.querySelector('button[aria-label="Remove b.txt"]') as HTMLButtonElement).click());
    expect(calls.at(-1)).toEqual({ method: 'DELETE', url: '/api/files/file_b' });
    expect(hook.items).toEqual([]);
    expect(hook.readyIds).toEqual([]);
  });

  it('stops polling when a pending file is removed or the composer unmounts', async () => {
    await mount();
    await run(() => hook.add([file('slow.pdf'), file('other.pdf')]));
    await run(() => FakeXhr.sent[0]?.respond(201, { id: 'file_s', status: 'pending' }));
    await run(() => FakeXhr.sent[1]?.respond(201, { id: 'file_o', status: 'pending' }));
    await run(() => hook.remove('file_s'));
    expect(calls).toEqual([{ method: 'DELETE', url: '/api/files/file_s' }]);
    fileAnswers.push(() => json(200, { id: 'file_o', status: 'pending' }));
    await later(500);
    expect(calls.filter((call) => call.method === 'GET')).toEqual([{ method: 'GET', url: '/api/files/file_o' }]);

    await act(async () => root.unmount());
    await later(60_000);
    expect(calls.filter((call) => call.method === 'GET')).toHaveLength(1);
    await mount();
  });

  it('refuses files over the size limit before uploading and shows server refusals', async () => {
    await mount(8);
    await run(() =>
      hook.add([file('big.txt', 'more than eight bytes'), file('empty.txt', ''), file('ok.txt', 'fine')]),
    );
    expect(FakeXhr.sent).toHaveLength(1);
    expect(chip('big.txt').textContent).toContain('Failed: larger than the 8 B limit');
    expect(chip('empty.txt').textContent).toContain('Failed: the file is empty');

    await run(() =>
      FakeXhr.sent[0]?.respond(415, {
        error: { code: 'SY_ERR_UNSUPPORTED_MEDIA_TYPE', message: 'This kind of file is not supported' },
      }),
    );
    expect(chip('ok.txt').textContent).toContain('Failed: This kind of file is not supported');
    expect(hook.busy).toBe(false);
    // A refused file is only forgotten: it was never stored, so there is nothing to delete.
    await run(() => hook.remove(hook.items[0]?.id ?? ''));
    expect(calls).toEqual([]);
  });

  it('counts files added in the same tick against the limit, and can remove one at once', async () => {
    await mount();
    await run(() => {
      hook.add([file('one.txt')]);
      hook.add([file('two.txt')]);
      hook.remove('attachment-1');
    });
    expect(FakeXhr.sent).toHaveLength(2);
    expect(FakeXhr.sent[0]?.aborted).toBe(true);
    expect(hook.items.map((item) => item.name)).toEqual(['two.txt']);
  });

  it('gives up polling after repeated failures with the error described', async () => {
    await mount();
    await run(() => hook.add([file()]));
    await run(() => FakeXhr.sent[0]?.respond(201, { id: 'file_x', status: 'pending' }));
    await later(60_000);
    expect(calls).toHaveLength(5);
    expect(chip('notes.txt').textContent).toContain('Failed: no answer scripted');
  });

  it('the Attach files button opens a hidden multi-file input whose choice is uploaded', async () => {
    await mount();
    const button = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Attach files');
    const input = container.querySelector('input[type="file"]') as HTMLInputElement;
    expect(button).toBeDefined();
    expect(input.multiple).toBe(true);
    expect(input.hidden).toBe(true);
    const opened = vi.spyOn(input, 'click').mockImplementation(() => {});
    await run(() => button?.click());
    expect(opened).toHaveBeenCalled();

    Object.defineProperty(input, 'files', { configurable: true, value: [file('picked.md', '# hi')] });
    await run(() => input.dispatchEvent(new Event('change', { bubbles: true })));
    expect(FakeXhr.sent).toHaveLength(1);
    expect(chip('picked.md')).toBeDefined();
  });
});
