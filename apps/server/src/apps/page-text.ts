// The HTML parsers (html-to-text, htmlparser2 and their dependencies, ~0.2 MB of code) load on the first
// HTML page read, not with every start.
let htmlParsers: Promise<[typeof import('html-to-text'), typeof import('htmlparser2')]> | null = null;
function loadHtmlParsers() {
  if (!htmlParsers) {
    htmlParsers = Promise.all([import('html-to-text'), import('htmlparser2')]);
    // A failed load is tried again by the next page.
    htmlParsers.catch(() => {
      htmlParsers = null;
    });
  }
  return htmlParsers;
}

const htmlTypes = ['text/html', 'application/xhtml+xml'];

/** Whether a body of this content type is text a model can read (HTML is turned into text first). */
export function isReadableType(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type === '' ||
    type.startsWith('text/') ||
    htmlTypes.includes(type) ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

function decode(body: Buffer, contentType: string): string {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/**
 * The readable text of a page: for HTML its title and the text of its main content (the first of
 * `<article>`, `<main>`, `<body>`), without scripts, styles, navigation, images or link targets.
 */
export async function pageText(body: Buffer, contentType: string): Promise<{ title: string; text: string }> {
  const source = decode(body, contentType);
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!htmlTypes.includes(type) && !(type === '' && /<html[\s>]/i.test(source.slice(0, 2000)))) {
    return { title: '', text: source.trim() };
  }
  const [{ convert }, { DomUtils, parseDocument }] = await loadHtmlParsers();
  const document = parseDocument(source);
  const titleElement = DomUtils.findOne((element) => element.name === 'title', document.children, true);
  const title = titleElement ? DomUtils.textContent(titleElement).replace(/\s+/g, ' ').trim() : '';
  const text = convert(source, {
    wordwrap: false,
    baseElements: { selectors: ['article', 'main', 'body'], orderBy: 'selectors' },
    limits: { maxBaseElements: 1 },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'noscript', format: 'skip' },
      { selector: 'svg', format: 'skip' },
      { selector: 'form', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
  return { title, text: text.replace(/\n{3,}/g, '\n\n').trim() };
}
