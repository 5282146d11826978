import { readPublicPage } from '../../apps/read-public-page';
import type { SafeFetcher } from '../../infrastructure/safe-fetch';
import { collectLinks, defaultProfileMaxChars, documentOf } from './collect-links';
import type { ProfileSource } from './profile-source';

export interface FetchProfileSourceOptions {
  /** Carries the `web.fetch` rules: public addresses only (plus allowed networks), size and time limits. */
  readonly fetcher: SafeFetcher;
  /** Characters of text kept per page; default 20,000. */
  readonly maxChars?: number;
  /** Links fetched at the same time; default 3. */
  readonly concurrency?: number;
}

/**
 * The built-in profile source: Switchyard reads each linked page itself, exactly as the `web` app's
 * `fetch` skill does (SSRF-safe fetcher, readable types only, HTML to its title and main text), and
 * keeps the first `maxChars` characters. A page refused, unreachable, slow or not text is that link's
 * failure; the caller's abort is thrown.
 */
export function createFetchProfileSource(options: FetchProfileSourceOptions): ProfileSource {
  const maxChars = options.maxChars ?? defaultProfileMaxChars;
  return {
    name: 'fetch',
    collect: (input) =>
      collectLinks(input, options.concurrency ?? 3, async (link, signal) => {
        const page = await readPublicPage(options.fetcher, link, signal);
        return page.ok ? documentOf(link, page.title, page.text, maxChars) : { failure: page.reason };
      }),
  };
}
