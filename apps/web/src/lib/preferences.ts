import { useSyncExternalStore } from 'react';

/**
 * What a person chooses for this browser (Settings → Preferences): kept in localStorage, like the
 * theme before the first paint (public/theme.js reads the same key).
 */
export type ThemeChoice = 'light' | 'dark' | 'system';
/** `enter`: Enter sends and Shift+Enter starts a new line (ChatGPT's way); `ctrl-enter`: the reverse. */
export type SendKey = 'enter' | 'ctrl-enter';
export type Language = 'en' | 'pl';
export const languages: readonly Language[] = ['en', 'pl'];

export interface Preferences {
  theme: ThemeChoice;
  sendKey: SendKey;
  /** null: the browser's language when Switchyard has it, English otherwise. */
  language: Language | null;
}

const storageKeys = {
  theme: 'switchyard.theme',
  sendKey: 'switchyard.sendKey',
  language: 'switchyard.language',
} as const;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function load(): Preferences {
  const theme = read(storageKeys.theme);
  const sendKey = read(storageKeys.sendKey);
  const language = read(storageKeys.language);
  return {
    theme: theme === 'light' || theme === 'dark' ? theme : 'system',
    sendKey: sendKey === 'ctrl-enter' ? 'ctrl-enter' : 'enter',
    language: languages.includes(language as Language) ? (language as Language) : null,
  };
}

let current: Preferences = load();
const listeners = new Set<() => void>();

export function getPreferences(): Preferences {
  return current;
}

export function setPreference<K extends keyof Preferences>(key: K, value: Preferences[K]): void {
  current = { ...current, [key]: value };
  try {
    if (value === null || (key === 'theme' && value === 'system')) localStorage.removeItem(storageKeys[key]);
    else localStorage.setItem(storageKeys[key], String(value));
  } catch {
    // storage disabled: the choice lasts for this page
  }
  if (key === 'theme') applyTheme();
  for (const listener of listeners) listener();
}

export function usePreferences(): Preferences {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}

function prefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Puts the chosen theme on <html>; 'system' follows the operating system, also when it changes. */
export function applyTheme(): void {
  if (typeof document === 'undefined') return;
  const dark = current.theme === 'dark' || (current.theme === 'system' && prefersDark());
  document.documentElement.classList.toggle('dark', dark);
}

if (typeof matchMedia === 'function') {
  matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', () => {
    if (current.theme === 'system') applyTheme();
  });
}

/** Whether the page is dark now: the class applyTheme (or public/theme.js) put on <html>. */
const isDark = () => typeof document !== 'undefined' && document.documentElement.classList.contains('dark');

function subscribeTheme(listener: () => void): () => void {
  if (typeof MutationObserver === 'undefined') return () => {};
  const observer = new MutationObserver(listener);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}

/** The theme shown, also when 'system' follows the operating system (what a drawing must match). */
export function useDarkTheme(): boolean {
  return useSyncExternalStore(subscribeTheme, isDark, () => false);
}

/** The header's ◐ button: flips what is shown now and remembers it. */
export function toggleTheme(): void {
  const dark = !document.documentElement.classList.contains('dark');
  setPreference('theme', dark ? 'dark' : 'light');
}

/**
 * Whether a key press in the composer sends the message. IME composition (Japanese, Chinese input)
 * uses Enter to confirm a word, which must never send.
 */
export function isSendKey(
  event: Pick<KeyboardEvent, 'key' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'altKey' | 'isComposing'>,
  sendKey: SendKey,
): boolean {
  if (event.key !== 'Enter' || event.isComposing) return false;
  const modified = event.ctrlKey || event.metaKey;
  // Ctrl/Cmd+Enter sends in both modes: people used to it keep it.
  if (modified) return true;
  return sendKey === 'enter' && !event.shiftKey && !event.altKey;
}
