// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../lib/i18n';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { MessageMeta } from './MessageMeta';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const answer = {
  id: 'm2',
  role: 'assistant' as const,
  content: '| a | b |\n| - | - |\n| 1 | 2 |',
  model: 'smart',
  createdAt: '2026-12-03T14:05:00.000Z',
  promptTokens: 1234,
  completionTokens: 56,
  durationMs: 2345,
};

let mounted: Mounted | null = null;
afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  vi.unstubAllGlobals();
  await i18n.changeLanguage('en');
});

const part = (name: string) => mounted?.container.querySelector(`[data-meta="${name}"]`)?.textContent ?? null;

describe('MessageMeta', () => {
  it("shows an answer's model, time, tokens and duration, with cost only when the server sent one", async () => {
    mounted = await mountWithQueryClient(<MessageMeta message={answer} />);
    expect(part('model')).toContain('smart');
    expect(mounted.container.querySelector('time')?.getAttribute('datetime')).toBe('2026-12-03T14:05:00.000Z');
    expect(part('tokens')).toContain('1,234 → 56 tokens');
    expect(part('tokens')).toContain('1,234 tokens in, 56 tokens out');
    expect(part('duration')).toContain('2.3 s');
    expect(part('cost')).toBeNull();
    await mounted.unmount();
    mounted = await mountWithQueryClient(<MessageMeta message={{ ...answer, costUsd: 0.00123 }} />);
    expect(part('cost')).toContain('$0.00123');
  });

  it('formats numbers in the page language', async () => {
    await i18n.changeLanguage('pl');
    mounted = await mountWithQueryClient(<MessageMeta message={{ ...answer, promptTokens: 12345 }} />);
    // Polish groups thousands (from five digits) with a no-break space and writes decimals with a comma.
    expect(part('tokens')).toMatch(/12\s345 → 56 tokenów/);
    expect(part('duration')).toContain('2,3 s');
  });

  it('shows only the time for a question (no model or tokens)', async () => {
    mounted = await mountWithQueryClient(
      <MessageMeta message={{ id: 'm1', role: 'user', content: 'Hi', createdAt: answer.createdAt }} />,
    );
    expect(part('time')).not.toBeNull();
    expect(part('model')).toBeNull();
    expect(part('tokens')).toBeNull();
  });

  it('copies the whole message as Markdown and says so', async () => {
    const writeText = vi.fn(async (_text: string) => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    mounted = await mountWithQueryClient(<MessageMeta message={answer} />);
    const copy = mounted.container.querySelector('button[aria-label="Copy answer"]') as HTMLButtonElement;
    await act(async () => copy.click());
    expect(writeText).toHaveBeenCalledWith(answer.content);
    expect(copy.textContent).toBe('Copied');
    expect(mounted.container.querySelector('[aria-live="polite"]')?.textContent).toBe(
      'Message copied to the clipboard',
    );
  });

  it('says when the clipboard refused', async () => {
    vi.stubGlobal('navigator', {
      ...navigator,
      clipboard: {
        writeText: async () => {
          throw new Error('denied');
        },
      },
    });
    mounted = await mountWithQueryClient(<MessageMeta message={answer} />);
    const copy = mounted.container.querySelector('button[aria-label="Copy answer"]') as HTMLButtonElement;
    await act(async () => copy.click());
    expect(copy.textContent).toBe('Copy failed');
  });
});
