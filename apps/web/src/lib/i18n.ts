import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { en } from '../locales/en';
import { pl } from '../locales/pl';
import { getPreferences, type Language, languages } from './preferences';

/**
 * Every string the web app shows goes through i18next (react-i18next in components). English is the
 * source and the fallback; each locale is a file in src/locales with the same keys (locales.test.ts
 * fails on a missing one). Both are bundled: together they are a few kB, and a switch needs no download.
 */
export const resources = { en: { translation: en }, pl: { translation: pl } } as const;

/** The language to show: the one chosen in Settings, else the browser's when we have it, else English. */
export function preferredLanguage(): Language {
  const chosen = getPreferences().language;
  if (chosen) return chosen;
  const browser = typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]);
  for (const tag of browser) {
    const base = tag?.toLowerCase().split('-')[0] as Language;
    if (languages.includes(base)) return base;
  }
  return 'en';
}

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources,
  lng: preferredLanguage(),
  fallbackLng: 'en',
  supportedLngs: [...languages],
  // Resources are bundled: initialise synchronously so the first render is already translated.
  initAsync: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

function syncDocumentLanguage(language: string) {
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}
syncDocumentLanguage(i18n.language);
i18n.on('languageChanged', syncDocumentLanguage);

export async function changeLanguage(language: Language): Promise<void> {
  await i18n.changeLanguage(language);
}

/** `t` outside React (error descriptions, the browser tab title). */
export const t = i18n.t.bind(i18n);

/**
 * Intl formatters by language and options, made once: building one costs far more than using it
 * (tenths of a millisecond to milliseconds each, and the first loads the locale's data), and a chat's
 * first render formats the time and numbers of every message it shows. The options come from the code,
 * so the map stays small.
 */
const formatters = new Map<string, { format(value: never): string }>();
function formatter<Options, Formatter extends { format(value: never): string }>(
  kind: string,
  options: Options | undefined,
  Make: new (language: string, options?: Options) => Formatter,
): Formatter {
  const key = `${kind} ${i18n.language} ${JSON.stringify(options ?? null)}`;
  let made = formatters.get(key) as Formatter | undefined;
  if (!made) {
    made = new Make(i18n.language, options);
    formatters.set(key, made);
  }
  return made;
}

/**
 * The time zone dates are shown in: the browser's own (undefined), or, when the server draws a page's
 * first screen (first-screen.tsx), the one the browser told it.
 */
let timeZone: string | undefined;
export function setTimeZone(zone: string | undefined): void {
  timeZone = zone;
}

/** Dates and times in the page's language, e.g. "3 Dec 2026, 14:05" / "3 gru 2026, 14:05". */
export function formatDateTime(value: string | number | Date, options?: Intl.DateTimeFormatOptions): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const chosen = options ?? { dateStyle: 'medium', timeStyle: 'short' };
  return formatter('date', timeZone ? { ...chosen, timeZone } : chosen, Intl.DateTimeFormat).format(date);
}

/** Numbers in the page's language, e.g. 12345.6 → "12,345.6" / "12 345,6" (Polish groups with a no-break space). */
export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return formatter('number', options, Intl.NumberFormat).format(value);
}

/** Costs and budgets (kept in US dollars) in the page's language: "$1.25" / "1,25 USD". */
export function formatUsd(value: number, options?: Intl.NumberFormatOptions): string {
  return formatNumber(value, { style: 'currency', currency: 'USD', ...options });
}

/** A share (0.125) as a percentage with fixed decimals: "12.5%" / "12,5%". */
export function formatPercent(share: number, fractionDigits = 1): string {
  return formatNumber(share, {
    style: 'percent',
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  });
}

export { useTranslation };
