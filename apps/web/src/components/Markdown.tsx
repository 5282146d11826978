import { type ComponentProps, memo, type ReactElement, type ReactNode, useSyncExternalStore } from 'react';
import renderTree, { defaultUrlTransform, type UrlTransform } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
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

/**
 * rehype-highlight builds a lowlight instance (compiling ~35 grammars) each time the plugin is
 * attached, and react-markdown attaches plugins on every render: that was most of the cost of a
 * message's Markdown. The transformer is made once and the plugin hands back the same one.
 */
// `detect`: a block without a language tag is highlighted as the grammar that fits it best (of the ~35
// common ones); a block tagged `text`/`plain` stays plain. Rendered trees are cached per message, so
// detection runs once per answer.
// Detection tries the languages answers are mostly written in, not all ~35: it costs a parse per grammar.
const detectable = [
  'bash',
  'c',
  'cpp',
  'csharp',
  'css',
  'go',
  'java',
  'javascript',
  'json',
  'php',
  'python',
  'ruby',
  'rust',
  'sql',
  'typescript',
  'xml',
  'yaml',
];
const highlightTransformer = rehypeHighlight({
  detect: true,
  subset: detectable,
  plainText: ['text', 'txt', 'plain', 'plaintext', 'math', 'mermaid'],
});
const sharedHighlight = () => highlightTransformer;

/**
 * KaTeX (about 270 kB of script, its CSS and fonts) is downloaded only once an answer may contain math
 * (a `$`); until it arrives, a formula shows as its TeX source, and every mounted answer renders again
 * when it does (`mathVersion`). Made once, like the highlighter. `trust: false` (the default) keeps
 * \href, \url and \includegraphics from a model's answer inert; a formula that does not parse is shown
 * in red (rehype-katex never throws).
 */
type Transformer = ReturnType<typeof rehypeHighlight>;
let katexTransformer: Transformer | null = null;
let mathLoading: Promise<void> | null = null;
let mathVersion = 0;
const mathListeners = new Set<() => void>();
const mayHaveMath = (text: string) => text.includes('$');

export function loadMath(): Promise<void> {
  mathLoading ??= Promise.all([import('rehype-katex'), import('katex/dist/katex.min.css')]).then(
    ([module]) => {
      katexTransformer = module.default({ strict: 'ignore', trust: false }) as Transformer;
      mathVersion++;
      for (const listener of mathListeners) listener();
    },
    (error: unknown) => {
      mathLoading = null;
      throw error;
    },
  );
  return mathLoading;
}

function subscribeMath(listener: () => void) {
  mathListeners.add(listener);
  return () => mathListeners.delete(listener);
}
const currentMathVersion = () => mathVersion;
const components = { pre: CodeBlock, img: MarkdownImage, table: Table };

/** react-markdown's safe URLs, plus raster data URLs for images (MarkdownImage decides what loads). */
const urlTransform: UrlTransform = (url, key, node) =>
  key === 'src' && node.tagName === 'img' && inlineImage.test(url) ? url : defaultUrlTransform(url);

/** Markdown → React elements (parse, sanitize by not allowing raw HTML, highlight): the expensive part. */
export function renderMarkdown(text: string): ReactElement {
  const katex = katexTransformer;
  if (!katex && mayHaveMath(text)) void loadMath().catch(() => {});
  // react-markdown's synchronous Markdown is a plain function without hooks, so its tree can be kept.
  return renderTree({
    children: text,
    remarkPlugins: [remarkGfm, remarkMath],
    rehypePlugins: katex ? [() => katex, sharedClosedFences, sharedHighlight] : [sharedClosedFences, sharedHighlight],
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
  private entries = new Map<string, { text: string; tree: ReactElement; math: boolean }>();
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
    this.entries.set(key, { text, tree, math: katexTransformer !== null });
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

  /** The same text, and not drawn without KaTeX when the text may hold math and KaTeX is here now. */
  private fresh(entry: { text: string; math: boolean }, text: string): boolean {
    return entry.text === text && (entry.math || katexTransformer === null || !mayHaveMath(text));
  }

  get size(): number {
    return this.entries.size;
  }
}

export const markdownCache = new MarkdownCache();

/**
 * Memoized on its props; with `cacheKey` (a message id) the parsed tree is also kept across
 * unmounts. A streaming answer passes no key: its text changes on every delta.
 */
export const Markdown = memo(function Markdown({ text, cacheKey }: { text: string; cacheKey?: string }) {
  // Renders again once KaTeX has loaded (the cache then redraws answers with math).
  useSyncExternalStore(subscribeMath, currentMathVersion, currentMathVersion);
  return (
    <div className="markdown break-words">
      {cacheKey === undefined ? renderMarkdown(text) : markdownCache.get(cacheKey, text)}
    </div>
  );
});
