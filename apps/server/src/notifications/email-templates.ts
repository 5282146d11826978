import type { OutboundItem, OutboundMessage } from './outbound-channel';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** RFC 8058 one-click unsubscribe, when the mail is about one kind. */
  listUnsubscribe: string | null;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** Only http(s) links reach an href; anything else is shown as text. */
const safeHref = (url: string) => (/^https?:\/\//i.test(url) ? escapeHtml(url) : null);

function kindsOf(items: readonly OutboundItem[]): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const item of items) if (!kinds.has(item.kind)) kinds.set(item.kind, item.unsubscribeUrl);
  return kinds;
}

function textItem(item: OutboundItem): string {
  return [item.title, '', item.body, ...(item.url ? ['', item.url] : [])].join('\n');
}

function htmlItem(item: OutboundItem): string {
  const href = item.url ? safeHref(item.url) : null;
  const title = href ? `<a href="${href}" style="color:#1d4ed8">${escapeHtml(item.title)}</a>` : escapeHtml(item.title);
  const body = escapeHtml(item.body).replace(/\n/g, '<br>');
  return `<h2 style="font-size:16px;margin:0 0 8px">${title}</h2><p style="margin:0 0 20px;line-height:1.5">${body}</p>`;
}

/**
 * The HTML and plain-text parts of a notification mail (one notification, or the daily digest). Every
 * value is escaped in the HTML; each kind in the mail gets its own unsubscribe link at the bottom.
 */
export function renderEmail(message: OutboundMessage): RenderedEmail {
  const { items } = message;
  const first = items[0];
  const subject =
    message.digest || !first
      ? `Your Switchyard digest: ${items.length} notification${items.length === 1 ? '' : 's'}`
      : first.title;
  const kinds = kindsOf(items);
  const greeting = `Hello ${message.name || message.to},`;
  const intro = message.digest ? 'Here is what happened since your last digest.' : '';
  const unsubscribeText = [...kinds].map(([kind, url]) => `Stop these emails (${kind}): ${url}`);
  const text = [
    greeting,
    '',
    ...(intro ? [intro, ''] : []),
    items.map(textItem).join('\n\n---\n\n'),
    '',
    '-- ',
    'You get this mail because of your Switchyard notification settings.',
    ...unsubscribeText,
    '',
  ].join('\n');
  const unsubscribeHtml = [...kinds]
    .map(([kind, url]) => {
      const href = safeHref(url);
      return href
        ? `<a href="${href}" style="color:#6b7280">Stop these emails (${escapeHtml(kind)})</a>`
        : escapeHtml(url);
    })
    .join(' · ');
  const html = [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111827;max-width:600px;margin:0 auto;padding:24px">',
    `<p>${escapeHtml(greeting)}</p>`,
    intro ? `<p>${escapeHtml(intro)}</p>` : '',
    items.map(htmlItem).join(''),
    '<hr style="border:none;border-top:1px solid #e5e7eb;margin:24px 0">',
    `<p style="font-size:12px;color:#6b7280">You get this mail because of your Switchyard notification settings. ${unsubscribeHtml}</p>`,
    '</body></html>',
  ].join('');
  const onlyKind = kinds.size === 1 ? [...kinds.values()][0] : undefined;
  return { subject, text, html, listUnsubscribe: onlyKind ?? null };
}

/** The WhatsApp text: the same content, plain, cut to WhatsApp's 4,096 characters. */
export function renderWhatsAppText(message: OutboundMessage): string {
  const parts = message.items.map((item) => [`*${item.title}*`, item.body, ...(item.url ? [item.url] : [])].join('\n'));
  const count = message.items.length;
  const head = message.digest ? [`Switchyard digest: ${count} notification${count === 1 ? '' : 's'}`, ''] : [];
  const text = [...head, parts.join('\n\n')].join('\n');
  return text.length > 4_096 ? `${text.slice(0, 4_093)}...` : text;
}

/** A template parameter: WhatsApp refuses new lines, tabs and more than four spaces in a row, and long values. */
function templateParameter(text: string, max: number): string {
  const line = text.replaceAll(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line || '-';
}

/**
 * The notification template's two body parameters: {{1}} the headline (the title, or the digest's count)
 * and {{2}} the details (the text and the link, or the digest's titles), each one line.
 */
export function renderWhatsAppTemplateParameters(message: OutboundMessage): { headline: string; details: string } {
  const count = message.items.length;
  const [only] = message.items;
  if (!message.digest && count === 1 && only) {
    return {
      headline: templateParameter(only.title, 200),
      // The link is kept whole; the text gives way.
      details: only.url
        ? `${templateParameter(only.body, Math.max(100, 700 - only.url.length - 1))} ${templateParameter(only.url, 600)}`
        : templateParameter(only.body, 700),
    };
  }
  return {
    headline: templateParameter(`Your digest: ${count} notification${count === 1 ? '' : 's'}`, 200),
    details: templateParameter(
      message.items.map((item) => (item.url ? `${item.title} (${item.url})` : item.title)).join(' · '),
      700,
    ),
  };
}
