const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const channelLabel: Record<string, string> = {
  email: 'emails',
  whatsapp: 'WhatsApp messages',
  in_app: 'notifications',
};

// No inline style or script: the page is served under the web app's Content-Security-Policy.
const page = (title: string, content: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${content}</main></body></html>`;

/** Asks before unsubscribing: mail scanners follow links, only a person presses the button. */
export function unsubscribePage(token: string): string {
  const action = `/api/notifications/unsubscribe?token=${encodeURIComponent(token)}`;
  return page(
    'Unsubscribe',
    `<p>Stop getting these notifications by email? You can turn them on again in the app's notification settings.</p><form method="post" action="${escapeHtml(action)}"><button type="submit">Unsubscribe</button></form>`,
  );
}

export function unsubscribedPage(kind: string, channel: string): string {
  return page(
    'Unsubscribed',
    `<p>You will get no more ${escapeHtml(channelLabel[channel] ?? channel)} about <strong>${escapeHtml(kind)}</strong>. You can turn them on again in the app's notification settings.</p>`,
  );
}
