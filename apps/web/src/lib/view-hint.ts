import { rememberView } from './early-requests';
import { i18n } from './i18n';
import { currentProjectId, onProjectChange } from './projects';

function write(): void {
  let timeZone = 'UTC';
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {}
  rememberView({ language: i18n.language, timeZone, project: currentProjectId() });
}

/**
 * Keeps the view cookie (early-requests.ts: the page's language, the browser's time zone and the chosen
 * project) current: written now and whenever the language or the project changes, so the server draws
 * the next chat page's first screen as this browser would.
 */
export function keepViewHint(): void {
  write();
  i18n.on('languageChanged', write);
  onProjectChange(write);
}
