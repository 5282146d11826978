import type { ProfileCollection, ProfileDocument, ProfileSourceInput } from './profile-source';

/** What reading one link gave: its document, or the reason it gave nothing. */
export type LinkOutcome = { readonly document: ProfileDocument } | { readonly failure: string };

/** Characters of text kept per page unless configured otherwise. */
export const defaultProfileMaxChars = 20_000;

/**
 * The text cut to `maxChars`, at the last whitespace of the final 200 characters when there is one so a
 * word is not split, and never between the two halves of a surrogate pair.
 */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const space = text.slice(Math.max(0, maxChars - 200), maxChars + 1).search(/\s\S*$/);
  if (space >= 0) end = Math.max(0, maxChars - 200) + space;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end).trimEnd();
}

/** A link's document from a page's title and text, or a failure when the page had no text to read. */
export function documentOf(url: string, title: string, text: string, maxChars: number): LinkOutcome {
  const trimmed = text.trim();
  if (trimmed === '') return { failure: `${url} has no readable text` };
  return { document: { url, title: title.trim() === '' ? null : title.trim(), text: cutText(trimmed, maxChars) } };
}

/**
 * Reads every distinct link, a few at a time, and keeps the links' order in what it returns. One link
 * failing is that link's failure; a thrown error (the caller's abort, an upstream's rate limit) stops
 * the links still running and is rethrown, since every later link would meet it too.
 */
export async function collectLinks(
  input: ProfileSourceInput,
  concurrency: number,
  readOne: (url: string, signal: AbortSignal) => Promise<LinkOutcome>,
): Promise<ProfileCollection> {
  const links = [...new Set(input.links)];
  const stop = new AbortController();
  const signal = AbortSignal.any([input.signal, stop.signal]);
  const outcomes: LinkOutcome[] = new Array(links.length);
  let next = 0;
  let thrown: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < links.length && thrown === null) {
      const index = next;
      next += 1;
      try {
        outcomes[index] = await readOne(links[index] as string, signal);
      } catch (error) {
        thrown ??= { error };
        stop.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, links.length)) }, worker));
  if (input.signal.aborted) throw input.signal.reason;
  if (thrown !== null) throw (thrown as { error: unknown }).error;
  const documents: ProfileDocument[] = [];
  const failures: { url: string; reason: string }[] = [];
  outcomes.forEach((outcome, index) => {
    if ('document' in outcome) documents.push(outcome.document);
    else failures.push({ url: links[index] as string, reason: outcome.failure });
  });
  return { documents, failures };
}
