// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { until } from '../testing/until';

// Test files share a worker's modules (vitest.config.ts, isolate: false), and another file may have
// loaded highlight.js into the Markdown module already: this file imports a fresh one.
let Markdown: typeof import('./Markdown').Markdown;
let MarkdownCache: typeof import('./Markdown').MarkdownCache;
let loadHighlight: typeof import('./Markdown').loadHighlight;
beforeAll(async () => {
  vi.resetModules();
  ({ Markdown, MarkdownCache, loadHighlight } = await import('./Markdown'));
});

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const answer = 'Some **markdown** with code:\n\n```js\nconst answer = 42;\n```\n';
const roots: Array<{ root: Root; container: HTMLDivElement }> = [];

async function mount(text: string, cacheKey?: string) {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  roots.push({ root, container });
  await act(async () =>
    root.render(cacheKey === undefined ? <Markdown text={text} /> : <Markdown text={text} cacheKey={cacheKey} />),
  );
  return container;
}

afterEach(async () => {
  for (const { root, container } of roots.splice(0)) {
    await act(async () => root.unmount());
    container.remove();
  }
});

describe('Markdown drawn before highlight.js has arrived', () => {
  it('shows the code as plain text in its block first, then the same answer highlighted once it loads', async () => {
    const cache = new MarkdownCache();
    const plainTree = cache.get('m1', answer);
    const container = await mount(answer, 'm1');
    // The first draw: the same block, its text whole and copyable, not yet coloured.
    const code = container.querySelector('pre code.language-js');
    expect(code?.textContent).toBe('const answer = 42;\n');
    expect(container.querySelector('.hljs-keyword')).toBeNull();
    expect(container.querySelector('strong')?.textContent).toBe('markdown');
    expect(container.querySelector('[aria-label="Copy code"]')).not.toBeNull();

    // Drawing it queued the highlighter's import (when the browser is idle): the mounted answer is
    // drawn again with it, without anyone asking.
    const keyword = await until(() => {
      const found = container.querySelector('pre code.language-js .hljs-keyword');
      if (!found) throw new Error('not highlighted yet');
      return found;
    });
    expect(keyword.textContent).toBe('const');
    expect(container.querySelector('pre code')?.textContent).toBe('const answer = 42;\n');

    // The final drawing is exactly that of an answer drawn with the highlighter already here.
    await loadHighlight();
    const fresh = await mount(answer);
    expect(container.innerHTML).toBe(fresh.innerHTML);

    // A tree cached before the highlighter came is not handed out again; one without code still is.
    expect(cache.get('m1', answer)).not.toBe(plainTree);
    const prose = new MarkdownCache();
    const proseTree = prose.get('p', 'no code here');
    expect(prose.get('p', 'no code here')).toBe(proseTree);
  });
});
