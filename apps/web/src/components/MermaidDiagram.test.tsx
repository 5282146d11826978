// @vitest-environment happy-dom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { until } from '../testing/until';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// Mermaid needs layout to measure text, which happy-dom does not have: the renderer is replaced here,
// and the Chromium e2e test (e2e/chat.test.ts) draws a real diagram.
const renderer = vi.hoisted(() => ({ renderMermaid: vi.fn<(source: string, dark: boolean) => Promise<string>>() }));
vi.mock('./mermaid-renderer', () => renderer);

// Test files share a worker's modules (vitest.config.ts, isolate: false): a Markdown imported by an
// earlier file would draw with the real renderer and keep its own lazily loaded parts. This file
// imports fresh ones, with the renderer replaced.
let i18n: typeof import('../lib/i18n').i18n;
let Markdown: typeof import('./Markdown').Markdown;
let openBlockDelayMs: number;
beforeAll(async () => {
  vi.resetModules();
  ({ i18n } = await import('../lib/i18n'));
  ({ Markdown } = await import('./Markdown'));
  ({ openBlockDelayMs } = await import('./MermaidDiagram'));
});

const drawnSvg = '<svg data-drawn="yes"><g><text>A to B</text></g></svg>';
let container: HTMLDivElement;
let root: Root;

beforeEach(async () => {
  renderer.renderMermaid.mockReset();
  renderer.renderMermaid.mockResolvedValue(drawnSvg);
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(async () => {
  await act(async () => root.unmount());
  container.remove();
  vi.useRealTimers();
  document.documentElement.classList.remove('dark');
  await i18n.changeLanguage('en');
});

const show = (text: string) => act(async () => root.render(<Markdown text={text} />));

describe('Mermaid diagrams in answers', () => {
  it('draws a complete mermaid block as an image with its source one click away; other code is still highlighted', async () => {
    const source = 'graph TD\n  A[Start] --> B[End]';
    await show(`Here:\n\n\`\`\`mermaid\n${source}\n\`\`\`\n\n\`\`\`js\nconst x = 1;\n\`\`\`\n`);
    const diagram = await until(() => {
      const found = container.querySelector('[role="img"]');
      if (!found) throw new Error('not drawn yet');
      return found;
    });
    expect(renderer.renderMermaid).toHaveBeenCalledTimes(1);
    expect(renderer.renderMermaid).toHaveBeenCalledWith(source, false);
    expect(diagram.getAttribute('aria-label')).toBe('Diagram');
    expect(diagram.querySelector('svg[data-drawn="yes"]')).not.toBeNull();
    // The source is hidden behind a button, and the JavaScript block is highlighted as before.
    expect(container.querySelector('code.language-mermaid')).toBeNull();
    // (highlight.js arrives on its own once the browser is idle after the first answers are drawn).
    const keyword = await until(() => {
      const found = container.querySelector('code.language-js .hljs-keyword');
      if (!found) throw new Error('not highlighted yet');
      return found;
    });
    expect(keyword.textContent).toBe('const');
    const toggle = [...container.querySelectorAll('button')].find((button) => button.textContent === 'Show source');
    expect(toggle?.getAttribute('aria-expanded')).toBe('false');
    await act(async () => toggle?.click());
    expect(toggle?.getAttribute('aria-expanded')).toBe('true');
    expect(container.querySelector('code.language-mermaid')?.textContent).toBe(`${source}\n`);
    expect(container.querySelector('[aria-label="Copy diagram source"]')).not.toBeNull();
  });

  it('keeps a diagram that does not parse as its source, with a short translated reason', async () => {
    await i18n.changeLanguage('pl');
    renderer.renderMermaid.mockRejectedValue(new Error('Parse error on line 2:\n...A -- > B\n------^\nExpecting X'));
    await show('```mermaid\ngraph TD\n  A -- > B\n```');
    const reason = await until(() => {
      const found = container.querySelector('[data-diagram-error]');
      if (!found) throw new Error('no error yet');
      return found;
    });
    expect(reason.textContent).toBe('Nie udało się narysować diagramu (Parse error on line 2:); pokazano jego źródło.');
    expect(container.querySelector('code.language-mermaid')?.textContent).toBe('graph TD\n  A -- > B\n');
    expect(container.querySelector('[role="img"]')).toBeNull();
    expect(container.querySelector('[aria-label="Kopiuj kod"]')).not.toBeNull();
  });

  it('does not draw a block while it streams, only once its fence closes', async () => {
    vi.useFakeTimers();
    await show('```mermaid\ngraph LR\n  A');
    await show('```mermaid\ngraph LR\n  A --> B');
    await act(async () => vi.advanceTimersByTime(openBlockDelayMs - 1));
    expect(renderer.renderMermaid).not.toHaveBeenCalled();
    expect(container.querySelector('code.language-mermaid')?.textContent).toContain('A --> B');
    await show('```mermaid\ngraph LR\n  A --> B --> C\n```\n\nDone');
    await act(async () => vi.advanceTimersByTime(0));
    expect(renderer.renderMermaid).toHaveBeenCalledTimes(1);
    expect(renderer.renderMermaid).toHaveBeenCalledWith('graph LR\n  A --> B --> C', false);
    expect(container.querySelector('[role="img"] svg')).not.toBeNull();
  });

  it('draws a closed block inside a list item at once', async () => {
    vi.useFakeTimers();
    await show('- The flow:\n\n  ```mermaid\n  graph TD\n    A --> B\n  ```\n');
    await act(async () => vi.advanceTimersByTime(0));
    expect(renderer.renderMermaid).toHaveBeenCalledWith('graph TD\n  A --> B', false);
  });

  it('draws a block left open once it has stopped changing, and in the dark theme when the page is dark', async () => {
    vi.useFakeTimers();
    document.documentElement.classList.add('dark');
    await show('```mermaid\npie\n  "a" : 1');
    await act(async () => vi.advanceTimersByTime(openBlockDelayMs));
    expect(renderer.renderMermaid).toHaveBeenCalledWith('pie\n  "a" : 1', true);
  });
});
