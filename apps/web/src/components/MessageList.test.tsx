// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage } from '../lib/conversations';
import { createStreamText } from '../lib/stream-text';
import { until } from '../testing/until';
import { markdownCache } from './Markdown';
import { estimateMessageHeight, MessageList } from './MessageList';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const answer = 'Some **markdown** with a list:\n\n- one\n- two\n\n```js\nconst answer = 42;\n```\n';
const conversation: ChatMessage[] = Array.from({ length: 2_000 }, (_, i) => ({
  id: `m${i}`,
  role: i % 2 === 0 ? 'user' : 'assistant',
  content: i % 2 === 0 ? `Question ${i}` : `Answer ${i}. ${answer}`,
}));

let container: HTMLDivElement;
let idle: IdleRequestCallback[];
let root: Root;
// What the list's scrolling still has to do: animation frames asked for (the virtualizer checks a
// scroll command there until it has landed) and the scroll events scrollTo has yet to fire.
// Each test has its own (a scroll event of the previous test may still fire in this one).
let framesPending: Set<number>;
// happy-dom's own scrollTop (on HTMLElement.prototype or one of its parents), put back after each test.
const scrollTopDescriptor = scrollTopOf(HTMLElement.prototype);
function scrollTopOf(prototype: object | null): PropertyDescriptor {
  for (let at = prototype; at; at = Object.getPrototypeOf(at)) {
    const descriptor = Object.getOwnPropertyDescriptor(at, 'scrollTop');
    if (descriptor) return descriptor;
  }
  throw new Error('no scrollTop in the DOM under test');
}
let scrollEventsPending: { count: number };

beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
  // happy-dom does no layout: scrolling moves scrollTop.
  // One descriptor for both accessors, put back in afterEach: spying on the getter and then the setter
  // of one property restores the setter's spy over the getter's, which left this test's scrollTop
  // behind for the next test file in the worker (ChatSidebar's scroll then read a stale offset).
  let scrollTop = 0;
  Object.defineProperty(HTMLElement.prototype, 'scrollTop', {
    configurable: true,
    get: () => scrollTop,
    set: (value: number) => {
      scrollTop = value;
    },
  });
  vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return Number.parseFloat((this.firstElementChild as HTMLElement | null)?.style.height ?? '') || 0;
  });
  const scrollEvents = { count: 0 };
  scrollEventsPending = scrollEvents;
  vi.spyOn(HTMLElement.prototype, 'scrollTo').mockImplementation(function (
    this: HTMLElement,
    options?: ScrollToOptions | number,
  ) {
    scrollTop = typeof options === 'object' ? (options.top ?? scrollTop) : scrollTop;
    scrollEvents.count++;
    // Browsers fire scroll events later, not inside scrollTo.
    setTimeout(() => {
      scrollEvents.count--;
      this.dispatchEvent(new Event('scroll'));
    }, 0);
  });
  const frames = new Set<number>();
  framesPending = frames;
  const requestFrame = window.requestAnimationFrame.bind(window);
  const cancelFrame = window.cancelAnimationFrame.bind(window);
  vi.spyOn(window, 'requestAnimationFrame').mockImplementation((callback) => {
    const id = requestFrame((time) => {
      frames.delete(id);
      callback(time);
    });
    frames.add(id);
    return id;
  });
  vi.spyOn(window, 'cancelAnimationFrame').mockImplementation((id) => {
    frames.delete(id);
    cancelFrame(id);
  });
  // A row measures what it was estimated at (as in Chromium for these messages): found by its text, as
  // a row's index is not the message's in a list that starts later in the chat; the "load older" row is 56.
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    if (this.tagName !== 'ARTICLE') return this.querySelector('button') ? 56 : 120;
    const number = /(?:Question|Answer) (\d+)/.exec(this.textContent ?? '')?.[1];
    const message = number === undefined ? undefined : conversation[Number(number)];
    return message ? estimateMessageHeight(message) : 120;
  });
  // Idle-time parsing runs only when a test hands out idle periods (see idle below).
  idle = [];
  vi.stubGlobal('requestIdleCallback', (callback: IdleRequestCallback) => idle.push(callback));
  // The read-aloud button asks which models exist; none speak here.
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify({ object: 'list', data: [] }), { status: 200 })),
  );
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  Object.defineProperty(HTMLElement.prototype, 'scrollTop', scrollTopDescriptor);
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const client = new QueryClient();
/** Renders, then lets the scroll to the newest message (scroll events, animation frames) finish. */
const articles = () => [...container.querySelectorAll('article')];
/**
 * Renders and waits until the list shows `newest` in its last row and its scroll to the bottom has
 * settled: at the end, with no scroll event or animation frame of it still to come. The first render
 * already draws the newest rows, while the virtualizer's scroll command is still in flight; a scroll
 * by the test before it lands would be read as part of it.
 */
/** The list's first commit, synchronously (no effect or frame after it has run yet), for a chat of its own. */
function renderAtOnce(chatId: string, messages: ChatMessage[]) {
  act(() =>
    root.render(
      <QueryClientProvider client={client}>
        <MessageList
          chatId={chatId}
          messages={messages}
          live={null}
          busy={false}
          focusMessageId={null}
          onRegenerate={() => {}}
          onEdit={() => {}}
        />
      </QueryClientProvider>,
    ),
  );
}

async function render(ui: React.ReactNode, newest: string) {
  await act(async () => root.render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>));
  await until(() => {
    expect(articles().at(-1)?.textContent).toContain(newest);
    const list = container.querySelector('[data-testid="message-list"]') as HTMLElement;
    // At the end, or past it when a re-render made the rows shorter (a browser would clamp; the mock does not).
    expect(list.scrollTop).toBeGreaterThanOrEqual(Math.max(0, list.scrollHeight - list.clientHeight));
    expectSettled();
  });
}
/** No scroll event or animation frame of the list's scrolling still to come. */
function expectSettled() {
  expect(scrollEventsPending.count).toBe(0);
  expect(framesPending.size).toBe(0);
}

describe('estimateMessageHeight', () => {
  it('matches the rendered height of common messages (measured in Chromium: 104 and 189 px)', () => {
    expect(estimateMessageHeight({ role: 'user', content: 'Question 4' })).toBe(124);
    expect(estimateMessageHeight({ role: 'assistant', content: `Answer 5. ${answer}` })).toBe(209);
  });

  it('grows with wrapped lines, code lines and attachments', () => {
    const short = estimateMessageHeight({ role: 'assistant', content: 'Hi' });
    expect(estimateMessageHeight({ role: 'assistant', content: 'word '.repeat(100) })).toBeGreaterThan(short + 48);
    expect(estimateMessageHeight({ role: 'assistant', content: '```\na\nb\nc\n```' })).toBe(
      estimateMessageHeight({ role: 'assistant', content: '```\na\n```' }) + 40,
    );
    expect(estimateMessageHeight({ role: 'user', content: 'x', attachments: ['f1'] })).toBe(
      estimateMessageHeight({ role: 'user', content: 'x' }) + 28,
    );
  });
});

describe('MessageList', () => {
  it('renders a window of a 2,000-message conversation, starting at the newest', async () => {
    await render(
      <MessageList
        chatId="c"
        messages={conversation}
        live={null}
        busy={false}
        focusMessageId={null}
        onRegenerate={() => {}}
        onEdit={() => {}}
      />,
      'Answer 1999',
    );
    const rows = articles();
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.length).toBeLessThan(20);
    expect(rows.at(-1)?.textContent).toContain('Answer 1999');
    // Only the last answer offers Regenerate; the user messages offer Edit.
    expect(container.querySelectorAll('button').length).toBeGreaterThan(0);
    expect([...container.querySelectorAll('button')].filter((b) => b.textContent === 'Regenerate')).toHaveLength(1);
  });

  it('draws the newest rows in its first render, and parses no Markdown of the oldest loaded rows', async () => {
    // Ids of their own: the cache is shared with the other tests.
    const opened = conversation.map((message) => ({ ...message, id: `opened-${message.id}` }));
    renderAtOnce('opened', opened);
    // Before any scroll event: the rows are already the newest.
    expect(articles().at(-1)?.textContent).toContain('Answer 1999');
    const oldestAnswer = opened[1] as ChatMessage;
    expect(markdownCache.has(oldestAnswer.id, oldestAnswer.content)).toBe(false);
  });

  it('draws only the rows in view in its first paint, and the overscan rows from the frame after', async () => {
    const opened = conversation.map((message) => ({ ...message, id: `overscan-${message.id}` }));
    renderAtOnce('overscan', opened);
    // The first commit: the newest rows that fill the 800 px viewport, none above them.
    const inView = articles();
    const heightOf = (row: Element) =>
      estimateMessageHeight(opened[Number(row.getAttribute('data-index'))] as ChatMessage);
    const drawn = inView.reduce((sum, row) => sum + heightOf(row), 0);
    expect(drawn - heightOf(inView[0] as Element)).toBeLessThan(800);
    const firstShown = Number(inView[0]?.getAttribute('data-index'));
    // After that frame: two more rows above (the end has none below).
    await until(() => expect(Number(articles()[0]?.getAttribute('data-index'))).toBe(firstShown - 2));
    expect(articles().at(-1)?.textContent).toContain('Answer 1999');
    await until(expectSettled);
  });

  it('keeps parsed Markdown per message: rendering the list again parses nothing', async () => {
    const props = {
      chatId: 'c',
      live: null,
      busy: false,
      focusMessageId: null,
      onRegenerate: () => {},
      onEdit: () => {},
    };
    await render(<MessageList {...props} messages={conversation} />, 'Answer 1999');
    // The rows shown were parsed through the cache (keyed by message id)…
    const last = conversation[1999] as ChatMessage;
    expect(markdownCache.has(last.id, last.content)).toBe(true);
    const misses = markdownCache.misses;
    const hits = markdownCache.hits;
    await render(<MessageList {...props} messages={[...conversation]} />, 'Answer 1999');
    expect(markdownCache.misses).toBe(misses);
    expect(markdownCache.hits).toBeGreaterThanOrEqual(hits);
    // A changed message (same id, new text) is parsed again.
    const edited = conversation.map((m) => (m.id === 'm1999' ? { ...m, content: 'Changed **text**' } : m));
    await render(<MessageList {...props} messages={edited} />, 'Changed text');
    expect(markdownCache.misses).toBeGreaterThan(misses);
    expect(articles().at(-1)?.innerHTML).toContain('<strong>text</strong>');
  });

  it('parses answers not yet shown while the browser is idle, newest first', async () => {
    // 200 messages, not 2,000: what is tested is the order and the reach of idle-time parsing, and
    // parsing 1,000 answers with code blocks took most of the test's 30 s on a busy machine.
    const messages = conversation.slice(0, 200).map((m) => ({ ...m, id: `idle-${m.id}` }));
    await render(
      <MessageList
        chatId="c"
        messages={messages}
        live={null}
        busy={false}
        focusMessageId={null}
        onRegenerate={() => {}}
        onEdit={() => {}}
      />,
      'Answer 199',
    );
    const answer = (i: number) => messages[i] as ChatMessage;
    expect(markdownCache.has(answer(101).id, answer(101).content)).toBe(false);
    let budget = 30;
    const deadline = { didTimeout: false, timeRemaining: () => budget-- } as IdleDeadline;
    idle.shift()?.(deadline); // one idle period: the newest answers first
    expect(markdownCache.has(answer(199).id, answer(199).content)).toBe(true);
    expect(markdownCache.has(answer(101).id, answer(101).content)).toBe(false);
    expect(idle).toHaveLength(1); // and asks for another period for the rest
    while (idle.length > 0) idle.shift()?.({ didTimeout: false, timeRemaining: () => 50 } as IdleDeadline);
    expect(markdownCache.has(answer(1).id, answer(1).content)).toBe(true);
    expect(markdownCache.has(answer(0).id, answer(0).content)).toBe(false); // questions are plain text
  });

  describe('a long chat opened newest first', () => {
    const newest = conversation.slice(1_900);
    const props = {
      chatId: 'long',
      live: null,
      busy: false,
      focusMessageId: null,
      onRegenerate: () => {},
      onEdit: () => {},
    };
    const loadOlderButton = () =>
      [...container.querySelectorAll('button')].find((b) => /older message/.test(b.textContent ?? ''));
    const list = () => container.querySelector('[data-testid="message-list"]') as HTMLElement;

    it('shows only the loaded newest messages, at the bottom, with a button for the older ones', async () => {
      const onLoadOlder = vi.fn();
      await render(
        <MessageList {...props} messages={newest} olderCount={1_900} onLoadOlder={onLoadOlder} />,
        'Answer 1999',
      );
      expect(articles().every((row) => Number(row.dataset.index) >= 1)).toBe(true);
      expect(container.textContent).not.toContain('Question 1898');
      expect(list().dataset.older).toBe('1900');
      // The button is the first row: rendered once the list is scrolled to its top.
      await act(async () => {
        list().scrollTop = 0;
        list().dispatchEvent(new Event('scroll'));
      });
      await until(() => expect(loadOlderButton()?.textContent).toBe('Load older messages (1900 more)'));
      expect(onLoadOlder).toHaveBeenCalled(); // reaching the top loads them too
    });

    it('loads older messages from the keyboard, keeping focus on the button while they load', async () => {
      const onLoadOlder = vi.fn();
      const ui = (loading: boolean) => (
        <MessageList {...props} messages={newest} olderCount={1_900} loadingOlder={loading} onLoadOlder={onLoadOlder} />
      );
      await render(ui(false), 'Answer 1999');
      await act(async () => {
        list().scrollTop = 0;
        list().dispatchEvent(new Event('scroll'));
      });
      await until(() => expect(loadOlderButton()).toBeDefined());
      onLoadOlder.mockClear();
      const button = loadOlderButton() as HTMLButtonElement;
      button.focus();
      // A native button activates on Enter and Space as a click.
      await act(async () => button.click());
      expect(onLoadOlder).toHaveBeenCalledTimes(1);
      await act(async () => root.render(<QueryClientProvider client={client}>{ui(true)}</QueryClientProvider>));
      const loading = loadOlderButton() ?? (container.querySelector('button[aria-busy="true"]') as HTMLButtonElement);
      expect(loading.textContent).toBe('Loading older messages…');
      expect(loading.disabled).toBe(false); // still focusable: aria-disabled instead
      expect(loading.getAttribute('aria-disabled')).toBe('true');
      expect(document.activeElement).toBe(loading);
      await act(async () => loading.click());
      expect(onLoadOlder).toHaveBeenCalledTimes(1); // not twice while loading
    });

    it('keeps the view where it was when older messages are put before it', async () => {
      const ui = (messages: ChatMessage[], older: number) => (
        <MessageList {...props} messages={messages} olderCount={older} onLoadOlder={() => {}} />
      );
      await render(ui(newest, 1_900), 'Answer 1999');
      // Scroll to the middle of what is loaded and note the message there.
      await act(async () => {
        list().scrollTop = 4_000;
        list().dispatchEvent(new Event('scroll'));
      });
      await until(expectSettled);
      const top = list().scrollTop;
      const height = list().scrollHeight;
      await act(async () =>
        root.render(<QueryClientProvider client={client}>{ui(conversation.slice(1_700), 1_700)}</QueryClientProvider>),
      );
      const added = list().scrollHeight - height;
      expect(added).toBeGreaterThan(10_000); // 200 messages' estimates
      expect(list().scrollTop).toBe(top + added);
    });

    it('loads older messages until a search hit is there, then scrolls to it', async () => {
      let older = 1_900;
      const onLoadOlder = vi.fn();
      const ui = () => (
        <MessageList
          {...props}
          messages={conversation.slice(older)}
          olderCount={older}
          focusMessageId="m1500"
          onLoadOlder={onLoadOlder}
        />
      );
      await act(async () => root.render(<QueryClientProvider client={client}>{ui()}</QueryClientProvider>));
      // Each call is answered with the next older page, as new props (as useMessages does).
      let answered = 0;
      while (older > 1_500) {
        await until(() => expect(onLoadOlder.mock.calls.length).toBeGreaterThan(answered));
        answered = onLoadOlder.mock.calls.length;
        older -= 200;
        await act(async () => root.render(<QueryClientProvider client={client}>{ui()}</QueryClientProvider>));
      }
      await until(() => expect(container.textContent).toContain('Question 1500'));
      const hit = articles().find((row) => row.textContent?.includes('Question 1500'));
      expect(hit?.querySelector('.ring-2')).not.toBeNull();
    });
  });

  it('shows the streaming answer from its StreamText, batching deltas per frame', async () => {
    const frames: Array<() => void> = [];
    const text = createStreamText((callback) => frames.push(callback));
    await render(
      <MessageList
        chatId="c"
        messages={conversation.slice(0, 4)}
        live={{ text, status: 'streaming', steps: [] }}
        busy
        focusMessageId={null}
        onRegenerate={() => {}}
        onEdit={() => {}}
      />,
      '…',
    );
    const live = () => articles().at(-1)?.textContent ?? '';
    expect(live()).toContain('…');
    act(() => {
      text.append('Hello ');
      text.append('**world**');
    });
    expect(frames).toHaveLength(1); // two deltas, one scheduled frame
    expect(live()).not.toContain('Hello');
    await act(async () => frames.shift()?.());
    expect(live()).toContain('Hello world');
    expect(articles().at(-1)?.innerHTML).toContain('<strong>world</strong>');
    // No actions while an answer streams.
    expect([...container.querySelectorAll('button')].map((b) => b.textContent)).not.toContain('Edit');
  });
});
