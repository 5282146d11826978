import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';

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
