import { memo, type ReactElement, type ReactNode, useState } from 'react';
import renderTree, { defaultUrlTransform, type UrlTransform } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import { inlineImage, MarkdownImage } from './MarkdownImage';

function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (node && typeof node === 'object' && 'props' in node) {
    return textOf((node.props as { children?: ReactNode }).children);
  }
  return '';
}

function CodeBlock({ children }: { children?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="group relative">
      <button
        type="button"
        aria-label="Copy code"
        className="absolute top-1 right-1 rounded bg-slate-700 px-2 py-0.5 text-xs text-white opacity-80 hover:opacity-100"
        onClick={() => {
          void navigator.clipboard?.writeText(textOf(children));
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre>{children}</pre>
    </div>
  );
}

/**
 * rehype-highlight builds a lowlight instance (compiling ~35 grammars) each time the plugin is
 * attached, and react-markdown attaches plugins on every render: that was most of the cost of a
 * message's Markdown. The transformer is made once and the plugin hands back the same one.
 */
const highlightTransformer = rehypeHighlight({ detect: false });
const sharedHighlight = () => highlightTransformer;
const components = { pre: CodeBlock, img: MarkdownImage };

/** react-markdown's safe URLs, plus raster data URLs for images (MarkdownImage decides what loads). */
const urlTransform: UrlTransform = (url, key, node) =>
  key === 'src' && node.tagName === 'img' && inlineImage.test(url) ? url : defaultUrlTransform(url);

/** Markdown → React elements (parse, sanitize by not allowing raw HTML, highlight): the expensive part. */
export function renderMarkdown(text: string): ReactElement {
  // react-markdown's synchronous Markdown is a plain function without hooks, so its tree can be kept.
  return renderTree({ children: text, rehypePlugins: [sharedHighlight], components, urlTransform });
}

/**
 * Rendered trees by message id, checked against the text: a row scrolled out and back in, or a
 * list re-rendered by a streaming answer, reuses the tree instead of parsing and highlighting again.
 * Least recently used entries go first.
 */
export class MarkdownCache {
  private entries = new Map<string, { text: string; tree: ReactElement }>();
  hits = 0;
  misses = 0;
  constructor(readonly capacity = 4_000) {}

  get(key: string, text: string): ReactElement {
    const entry = this.entries.get(key);
    if (entry && entry.text === text) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.tree;
    }
    this.misses++;
    const tree = renderMarkdown(text);
    this.entries.delete(key);
    this.entries.set(key, { text, tree });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return tree;
  }

  has(key: string, text: string): boolean {
    return this.entries.get(key)?.text === text;
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
  return (
    <div className="markdown break-words">
      {cacheKey === undefined ? renderMarkdown(text) : markdownCache.get(cacheKey, text)}
    </div>
  );
});
