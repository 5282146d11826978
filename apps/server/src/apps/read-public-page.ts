import { SwitchyardError } from '@switchyard/core';
import type { SafeFetcher } from '../infrastructure/safe-fetch';
import { isReadableType, pageText } from './page-text';

/** A public page read under the `web.fetch` rules, or why it could not be (fit to show a user or a model). */
export type PublicPage =
  | {
      readonly ok: true;
      /** After redirects. */
      readonly url: string;
      readonly title: string;
      readonly text: string;
      /** The body was longer than the fetcher's size limit and was cut. */
      readonly truncated: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a page the way the `web` app's `fetch` skill does, for every feature that reads pages users
 * name (the skill, the gift finder's profile links): SSRF-safe GET, a 2xx answer of a readable type,
 * HTML turned into its title and main text. A refused, unreachable or slow page is a reason, not an
 * error; only the caller's own abort is thrown.
 */
export async function readPublicPage(fetcher: SafeFetcher, url: string, signal: AbortSignal): Promise<PublicPage> {
  let page: Awaited<ReturnType<SafeFetcher['get']>>;
  try {
    page = await fetcher.get(url, { signal });
  } catch (error) {
    if (error instanceof SwitchyardError && !signal.aborted) {
      return { ok: false, reason: `Could not fetch ${url}: ${error.message}` };
    }
    throw error;
  }
  if (page.status < 200 || page.status >= 300) return { ok: false, reason: `${page.url} answered HTTP ${page.status}` };
  if (!isReadableType(page.contentType)) {
    return { ok: false, reason: `${page.url} is not a text page (${page.contentType.split(';')[0]})` };
  }
  const { title, text } = await pageText(page.body, page.contentType);
  return { ok: true, url: page.url, title, text, truncated: page.truncated };
}
