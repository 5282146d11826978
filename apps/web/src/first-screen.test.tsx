import { describe, expect, it } from 'vitest';
import { markdownCache } from './components/Markdown';
import { drawnChats, drawnMessages, renderFirstScreen } from './first-screen';
import type { ChatMessage, ChatSummary } from './lib/conversations';
import { i18n } from './lib/i18n';

const at = '2026-12-04T10:00:00.000Z';
const chats = Array.from(
  { length: 40 },
  (_, i) =>
    ({
      id: `chat_${i}`,
      title: i === 0 ? 'The **long** one' : `Chat ${i}`,
      folder: null,
      pinned: i === 0,
      archived: false,
      updatedAt: at,
    }) as ChatSummary,
);
const messages = Array.from(
  { length: 20 },
  (_, i) =>
    ({
      id: `m${i}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: i % 2 === 0 ? `Question ${i} <b>not bold</b>` : `Answer ${i} with **bold**`,
      createdAt: at,
      status: 'complete',
    }) as ChatMessage,
);

describe('the first screen the server draws', () => {
  it('draws the first chats and the newest messages, newest at the bottom, inert', () => {
    const html = renderFirstScreen({ chats, chatId: 'chat_0', messages, language: 'en', timeZone: 'UTC' });
    expect(html).toMatch(/^<div[^>]* inert=""[^>]* data-first-screen=""/);
    expect(html.match(/<li /g)).toHaveLength(drawnChats);
    expect(html).toContain('aria-current="page" title="The long one"');
    const drawn = [...html.matchAll(/<article[^>]*aria-label="(You|Assistant)"/g)];
    expect(drawn).toHaveLength(drawnMessages);
    // A column-reverse stack: the newest first in the document, at the bottom on the screen.
    const order = [...html.matchAll(/(Question|Answer) (\d+)/g)].map((match) => Number(match[2]));
    expect(order).toEqual([19, 18, 17, 16, 15, 14]);
    expect(html).toContain('Answer 19 with <strong>bold</strong>');
    expect(html).toContain('Question 18 &lt;b&gt;not bold&lt;/b&gt;');
    expect(html).toContain('>10:00 AM</time>');
    // The last answer offers Regenerate, as in the app.
    expect(html.match(/Regenerate/g)).toHaveLength(1);
  });

  it("uses the view's language and time zone, keeps nothing, and leaves the page's own settings as they were", () => {
    const before = i18n.language;
    const html = renderFirstScreen({ chats, chatId: 'chat_0', messages, language: 'pl', timeZone: 'Asia/Tokyo' });
    expect(html).toContain('Nowy czat');
    expect(html).toContain('>19:00</time>');
    expect(markdownCache.size).toBe(0);
    const unknown = renderFirstScreen({ chats, chatId: null, messages: null, language: 'xx', timeZone: 'Mars/Base' });
    expect(unknown).toContain('New chat');
    expect(unknown).not.toContain('data-testid="message-list"');
    expect(i18n.language).toBe(before);
  });
});
