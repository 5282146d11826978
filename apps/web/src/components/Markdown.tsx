import { type ComponentProps, memo, type ReactElement, type ReactNode, useSyncExternalStore } from 'react';
import renderTree, { defaultUrlTransform, type Options, type UrlTransform } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import remarkMath from 'remark-math';
import { t } from '../lib/i18n';
import { CopyButton } from './CopyButton';
import { inlineImage, MarkdownImage } from './MarkdownImage';
import { MermaidDiagram } from './MermaidDiagram';

function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (node && typeof node === 'object' && 'props' in node) {
    return textOf((node.props as { children?: ReactNode }).children);
  }
  return '';
}

/** The language a highlighted block was written or detected in (rehype-highlight's `language-x` class). */
function languageOf(children: ReactNode): string | null {
  const first = Array.isArray(children) ? children[0] : children;
  if (!first || typeof first !== 'object' || !('props' in first)) return null;
  const className = (first.props as { className?: string }).className ?? '';
  return /(?:^|\s)language-([\w+#-]+)/.exec(className)?.[1] ?? null;
}

/** An opening fence of a mermaid block, anywhere in the answer (also indented in a list). */
const mermaidFence = /^[ \t>]*(?:`{3,}|~{3,})[ \t]*mermaid/im;
/** A closing fence: three or more backticks or tildes alone on the block's last line (indented in a list). */
const closingFence = /\n[ \t>]*(?:`{3,}|~{3,})[ \t]*$/;

interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
  position?: { start: { offset?: number }; end: { offset?: number } };
}

/**
 * Marks a fenced block whose closing fence has arrived (`data-closed`): while an answer streams, a
 * diagram is drawn once its block is complete, not from every half of it. Only the answer's text
 * (`file.value`) shows whether the fence was closed.
 */
function markClosedFences(tree: HastNode, file: { value: unknown }) {
  const text = String(file.value);
  // Only diagrams wait for their fence; most answers have none, and are not walked at all.
  if (!mermaidFence.test(text)) return;
  const visit = (node: HastNode) => {
    for (const child of node.children ?? []) {
      if (child.tagName === 'pre') {
        const start = child.position?.start.offset;
        const end = child.position?.end.offset;
        if (start !== undefined && end !== undefined && closingFence.test(text.slice(start, end))) {
          child.properties = { ...child.properties, dataClosed: true };
        }
      } else visit(child);
    }
  };
  visit(tree);
}
const sharedClosedFences = () => markClosedFences;

function CodeBlock({ children, 'data-closed': closed }: { children?: ReactNode; 'data-closed'?: unknown }) {
  const language = languageOf(children);
  const block = (
    <div className="group relative">
      {language && (
        <span className="absolute top-1 left-2 text-[0.65rem] text-slate-500 select-none" aria-hidden="true">
          {language}
        </span>
      )}
      <div className="absolute top-1 right-1">
        <CopyButton text={() => textOf(children)} label={t('markdown.copyCode')} />
      </div>
      <pre className={language ? 'pt-6' : undefined}>{children}</pre>
    </div>
  );
  if (language !== 'mermaid') return block;
  return (
    <MermaidDiagram source={textOf(children).trimEnd()} closed={closed === true || closed === 'true'}>
      {block}
    </MermaidDiagram>
  );
}

/** A wide GFM table scrolls sideways inside the answer instead of widening the page (phones). */
function Table({ node: _node, ...props }: ComponentProps<'table'> & { node?: unknown }) {
  return (
    <div className="markdown-table">
      <table {...props} />
    </div>
  );
}

/** A plugin's transformer (rehype-highlight's and rehype-katex's have the same shape). */
type Transformer = ReturnType<typeof import('rehype-highlight').default>;

/**
 * Renders again every mounted answer once a lazily loaded part of the pipeline has arrived (`version`):
 * the per-message cache then redraws the answers drawn without it.
 */
let version = 0;
const listeners = new Set<() => void>();
function upgraded() {
  version++;
  for (const listener of listeners) listener();
}
function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
const currentVersion = () => version;

/** A task once the browser is idle (the first answers drawn and painted), or soon where it never is. */
function whenIdle(task: () => void) {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: 1_000 });
  else setTimeout(task, 0);
}

/**
 * KaTeX (about 270 kB of script, its CSS and fonts) is downloaded only once an answer may contain math
 * (a `$`); until it arrives, a formula shows as its TeX source, and every mounted answer renders again
 * when it does. Made once, like the highlighter. `trust: false` (the default) keeps
 * \href, \url and \includegraphics from a model's answer inert; a formula that does not parse is shown
 * in red (rehype-katex never throws).
 */
let katexTransformer: Transformer | null = null;
let mathLoading: Promise<void> | null = null;
const mayHaveMath = (text: string) => text.includes('$');

export function loadMath(): Promise<void> {
  mathLoading ??= Promise.all([import('rehype-katex'), import('katex/dist/katex.min.css')]).then(
    ([module]) => {
      katexTransformer = module.default({ strict: 'ignore', trust: false }) as Transformer;
      upgraded();
    },
    (error: unknown) => {
      mathLoading = null;
      throw error;
    },
  );
  return mathLoading;
}

/**
 * highlight.js (its grammars are most of the Markdown code: compiling and registering them took
 * 35-77 ms of the chat's first render) is its own chunk, imported once an answer with a code block has
 * been drawn and the browser is idle: the first answers show their code as plain text in the same
 * block, then highlighted; nothing moves, the text is the same. `loadHighlight()` starts it at once.
 */
let highlightTransformer: Transformer | null = null;
let highlightLoading: Promise<void> | null = null;
let highlightQueued = false;
/** A fenced block (``` or ~~~) or an indented one: what rehype-highlight would colour. */
const mayHaveCode = (text: string) => /```|~~~|^(?: {4}|\t)/m.test(text);

export function loadHighlight(): Promise<void> {
  highlightLoading ??= import('./highlight').then(
    (module) => {
      highlightTransformer = module.highlightTransformer;
      upgraded();
    },
    (error: unknown) => {
      highlightLoading = null;
      throw error;
    },
  );
  return highlightLoading;
}

function queueHighlight() {
  if (highlightQueued) return;
  highlightQueued = true;
  whenIdle(() => {
    void loadHighlight().catch(() => {
      highlightQueued = false;
    });
  });
}

const components = { pre: CodeBlock, img: MarkdownImage, table: Table };

/** react-markdown's safe URLs, plus raster data URLs for images (MarkdownImage decides what loads). */
const urlTransform: UrlTransform = (url, key, node) =>
  key === 'src' && node.tagName === 'img' && inlineImage.test(url) ? url : defaultUrlTransform(url);

/**
 * Whether drawing an answer that may need KaTeX or the highlighter loads them. Off on the server
 * (first-screen.tsx), which draws answers as the app's own first render does: without either.
 */
let loadsLazyParts = true;
export function drawWithoutLazyParts(): void {
  loadsLazyParts = false;
}

/** Markdown → React elements (parse, sanitize by not allowing raw HTML, highlight): the expensive part. */
export function renderMarkdown(text: string): ReactElement {
  const katex = katexTransformer;
  const highlight = highlightTransformer;
  if (loadsLazyParts && !katex && mayHaveMath(text)) void loadMath().catch(() => {});
  if (loadsLazyParts && !highlight && mayHaveCode(text)) queueHighlight();
  const rehypePlugins: NonNullable<Options['rehypePlugins']> = [];
  if (katex) rehypePlugins.push(() => katex);
  rehypePlugins.push(sharedClosedFences);
  if (highlight) rehypePlugins.push(() => highlight);
  // react-markdown's synchronous Markdown is a plain function without hooks, so its tree can be kept.
  return renderTree({
    children: text,
    remarkPlugins: [remarkGfm, remarkMath],
    rehypePlugins,
    components,
    urlTransform,
  });
}

/**
 * Rendered trees by message id, checked against the text: a row scrolled out and back in, or a
 * list re-rendered by a streaming answer, reuses the tree instead of parsing and highlighting again.
 * Least recently used entries go first.
 */
export class MarkdownCache {
  private entries = new Map<string, { text: string; tree: ReactElement; math: boolean; highlighted: boolean }>();
  hits = 0;
  misses = 0;
  constructor(readonly capacity = 4_000) {}

  get(key: string, text: string): ReactElement {
    const entry = this.entries.get(key);
    if (entry && this.fresh(entry, text)) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.tree;
    }
    this.misses++;
    const tree = renderMarkdown(text);
    this.entries.delete(key);
    this.entries.set(key, {
      text,
      tree,
      math: katexTransformer !== null,
      highlighted: highlightTransformer !== null,
    });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return tree;
  }

  has(key: string, text: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && this.fresh(entry, text);
  }

  /**
   * The same text, and not drawn without KaTeX (or the highlighter) when the text may hold math (or
   * code) and KaTeX (or the highlighter) is here now.
   */
  private fresh(entry: { text: string; math: boolean; highlighted: boolean }, text: string): boolean {
    return (
      entry.text === text &&
      (entry.math || katexTransformer === null || !mayHaveMath(text)) &&
      (entry.highlighted || highlightTransformer === null || !mayHaveCode(text))
    );
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

export const markdownCache = new MarkdownCache();

/**
 * Memoized on its props; with `cacheKey` (a message id) the parsed tree is also kept across
 * unmounts. A streaming answer passes no key: its text changes on every delta.
 */
export const Markdown = memo(function Markdown({ text, cacheKey }: { text: string; cacheKey?: string }) {
  // Renders again once KaTeX or the highlighter has loaded (the cache then redraws the answers they change).
  useSyncExternalStore(subscribe, currentVersion, currentVersion);
  return (
    <div className="markdown break-words">
      {cacheKey === undefined ? renderMarkdown(text) : markdownCache.get(cacheKey, text)}
    </div>
  );
});
