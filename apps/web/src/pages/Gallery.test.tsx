// @vitest-environment happy-dom
import type { GalleryImage } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { GalleryPage, galleryPageSize } from './Gallery';
import { ImagePanel } from './Images';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const image = (n: number): GalleryImage => ({
  id: `img_${n}`,
  prompt: `picture ${n}`,
  model: 'test-image',
  width: 256,
  height: 256,
  url: `/v1/image/img_${n}/content`,
  chatId: n % 2 === 0 ? `chat_${n}` : null,
  createdAt: '2026-12-03T08:00:00.000Z',
});

let requests: Array<{ method: string; path: string; search: string; body: unknown }>;
let stored: GalleryImage[];
let mounted: Mounted | null = null;

function route(method: string, path: string, search: URLSearchParams, body: unknown): Response {
  if (path === '/api/images' && method === 'GET') {
    const limit = Number(search.get('limit'));
    const offset = Number(search.get('offset'));
    return json(200, { images: stored.slice(offset, offset + limit), limit, offset });
  }
  const one = /^\/api\/images\/([^/]+)$/.exec(path);
  if (one && method === 'DELETE') {
    stored = stored.filter((entry) => entry.id !== one[1]);
    return new Response(null, { status: 204 });
  }
  if (path === '/v1/image/quota')
    return json(200, { environment: 'prod', used: 1, limit: 10, remaining: 9, resets_at: '' });
  if (path === '/v1/image/models')
    return json(200, { default: 'test-image', models: [{ id: 'test-image', label: null, type: 'test' }] });
  if (path === '/api/chats' && method === 'POST')
    return json(201, { id: 'chat_new', title: (body as { title: string }).title });
  const draw = /^\/api\/chats\/([^/]+)\/images$/.exec(path);
  if (draw && method === 'POST') {
    const made = { ...image(99), prompt: (body as { prompt: string }).prompt, chatId: draw[1] ?? null };
    return json(201, { image: made, messageIds: ['m1', 'm2'] });
  }
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: path } });
}

beforeEach(() => {
  requests = [];
  stored = Array.from({ length: galleryPageSize + 2 }, (_, index) => image(galleryPageSize + 2 - index));
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const url = new URL(input, 'http://localhost');
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      requests.push({ method, path: url.pathname, search: url.search, body });
      return route(method, url.pathname, url.searchParams, body);
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  vi.unstubAllGlobals();
});

const tiles = () => [...(mounted?.container.querySelectorAll('li[data-image]') ?? [])];
const buttonIn = (scope: Element | null | undefined, name: string) =>
  [...(scope?.querySelectorAll('button') ?? [])].find((button) => button.textContent?.trim() === name);
const linkIn = (scope: Element | null | undefined, name: string) =>
  [...(scope?.querySelectorAll('a') ?? [])].find((link) => link.textContent?.trim() === name);
const click = (element: HTMLElement | undefined) =>
  act(async () => {
    if (!element) throw new Error('nothing to click');
    element.click();
  });

describe('the gallery', () => {
  it('shows the newest page first and loads the next page from the number loaded', async () => {
    mounted = await mountWithQueryClient(<GalleryPage />);
    await until(() => expect(tiles()).toHaveLength(galleryPageSize));
    expect(tiles()[0]?.getAttribute('data-image')).toBe(`img_${galleryPageSize + 2}`);
    expect(requests[0]).toMatchObject({ path: '/api/images', search: `?limit=${galleryPageSize}&offset=0` });
    await click(buttonIn(mounted.container, 'Show more'));
    await until(() => expect(tiles()).toHaveLength(galleryPageSize + 2));
    expect(requests.at(-1)).toMatchObject({ search: `?limit=${galleryPageSize}&offset=${galleryPageSize}` });
    expect(buttonIn(mounted.container, 'Show more')).toBeUndefined();
  });

  it('opens full size, downloads, links to the chat, and deletes after a confirmation', async () => {
    stored = [image(2), image(1)];
    mounted = await mountWithQueryClient(<GalleryPage />);
    await until(() => expect(tiles()).toHaveLength(2));
    const [first, second] = tiles();
    expect(first?.querySelector('img')?.getAttribute('src')).toBe('/v1/image/img_2/content');
    expect(linkIn(first, 'Open')?.getAttribute('href')).toBe('/v1/image/img_2/content');
    expect(linkIn(first, 'Download')?.getAttribute('download')).toBe('img_2.png');
    expect(linkIn(first, 'Open chat')?.getAttribute('href')).toBe('/chat?chat=chat_2');
    expect(linkIn(second, 'Open chat')).toBeUndefined();

    await click(buttonIn(first, 'Delete'));
    expect(requests.some((request) => request.method === 'DELETE')).toBe(false);
    await click(buttonIn(first, 'Delete for good'));
    await until(() => expect(tiles()).toHaveLength(1));
    expect(requests.filter((request) => request.method === 'DELETE').map((request) => request.path)).toEqual([
      '/api/images/img_2',
    ]);
    expect(tiles()[0]?.getAttribute('data-image')).toBe('img_1');
  });

  it('says so when there are no images', async () => {
    stored = [];
    mounted = await mountWithQueryClient(<GalleryPage />);
    await until(() => expect(mounted?.container.textContent).toContain('No images yet'));
  });
});

describe('the Images panel', () => {
  async function generate(prompt: string) {
    const textarea = mounted?.container.querySelector('textarea') as HTMLTextAreaElement;
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      setter?.call(textarea, prompt);
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await until(() => expect(buttonIn(mounted?.container, 'Generate')?.disabled).toBe(false));
    await click(buttonIn(mounted?.container, 'Generate'));
  }

  it('posts the image into the open chat and shows it', async () => {
    const posted: string[] = [];
    mounted = await mountWithQueryClient(<ImagePanel chatId="chat_open" onPosted={(id) => posted.push(id)} />);
    await generate('a green door');
    await until(() => expect(posted).toEqual(['chat_open']));
    const post = requests.find((request) => request.path === '/api/chats/chat_open/images');
    expect(post).toMatchObject({ method: 'POST', body: { prompt: 'a green door', model: 'test-image' } });
    expect(requests.some((request) => request.path === '/api/chats' && request.method === 'POST')).toBe(false);
    await until(() => expect(mounted?.container.querySelector('img')?.getAttribute('alt')).toBe('a green door'));
    expect(mounted.container.textContent).toContain('Posted into the chat.');
  });

  it('starts a chat, titled from the prompt, when none is open', async () => {
    const posted: string[] = [];
    mounted = await mountWithQueryClient(<ImagePanel chatId={null} onPosted={(id) => posted.push(id)} />);
    await generate('a **bold** fox');
    await until(() => expect(posted).toEqual(['chat_new']));
    expect(requests.find((request) => request.path === '/api/chats')).toMatchObject({
      method: 'POST',
      body: { title: 'a bold fox' },
    });
    expect(requests.some((request) => request.path === '/api/chats/chat_new/images')).toBe(true);
  });
});
