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

beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
  // happy-dom does no layout: scrolling moves scrollTop.
  let scrollTop = 0;
  vi.spyOn(HTMLElement.prototype, 'scrollTop', 'get').mockImplementation(() => scrollTop);
  vi.spyOn(HTMLElement.prototype, 'scrollTop', 'set').mockImplementation((value: number) => {
    scrollTop = value;
  });
  vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return Number.parseFloat((this.firstElementChild as HTMLElement | null)?.style.height ?? '') || 0;
  });
  vi.spyOn(HTMLElement.prototype, 'scrollTo').mockImplementation(function (
    this: HTMLElement,
    options?: ScrollToOptions | number,
  ) {
    scrollTop = typeof options === 'object' ? (options.top ?? scrollTop) : scrollTop;
    setTimeout(() => this.dispatchEvent(new Event('scroll')), 0); // browsers fire scroll events later, not inside scrollTo
  });
  // A row measures what it was estimated at (as in Chromium for these messages).
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    const message = conversation[Number(this.dataset.index)];
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
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const client = new QueryClient();
/** Renders, then lets the scroll to the newest message (scroll events, animation frames) finish. */
const articles = () => [...container.querySelectorAll('article')];
/** Renders and waits until the list shows `newest` in its last row (it scrolls to the bottom by itself). */
async function render(ui: React.ReactNode, newest: string) {
  await act(async () => root.render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>));
  await until(() => expect(articles().at(-1)?.textContent).toContain(newest));
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
    const messages = conversation.map((m) => ({ ...m, id: `idle-${m.id}` }));
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
      'Answer 1999',
    );
    const answer = (i: number) => messages[i] as ChatMessage;
    expect(markdownCache.has(answer(1001).id, answer(1001).content)).toBe(false);
    let budget = 30;
    const deadline = { didTimeout: false, timeRemaining: () => budget-- } as IdleDeadline;
    idle.shift()?.(deadline); // one idle period: the newest answers first
    expect(markdownCache.has(answer(1999).id, answer(1999).content)).toBe(true);
    expect(markdownCache.has(answer(1001).id, answer(1001).content)).toBe(false);
    expect(idle).toHaveLength(1); // and asks for another period for the rest
    while (idle.length > 0) idle.shift()?.({ didTimeout: false, timeRemaining: () => 50 } as IdleDeadline);
    expect(markdownCache.has(answer(1).id, answer(1).content)).toBe(true);
    expect(markdownCache.has(answer(0).id, answer(0).content)).toBe(false); // questions are plain text
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
