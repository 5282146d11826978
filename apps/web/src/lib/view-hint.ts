import { rememberView } from './early-requests';
import { i18n } from './i18n';
import { currentProjectId, onProjectChange } from './projects';

function write(): void {
  let timeZone = 'UTC';
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {}
  rememberView({
    language: i18n.language,
    timeZone,
    project: currentProjectId(),
    dark: document.documentElement.classList.contains('dark'),
  });
}

/**
 * Keeps the view cookie (early-requests.ts: the page's language, the browser's time zone, the chosen
 * project and the theme shown) current: written now and whenever one of them changes, so the server
 * draws the next chat page's first screen as this browser would.
 */
export function keepViewHint(): void {
  write();
  i18n.on('languageChanged', write);
  onProjectChange(write);
  // The theme: applyTheme (preferences.ts) or theme.js sets it on <html>.
  new MutationObserver(write).observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
}
