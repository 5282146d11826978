/**
 * Where the gift finder's profile analysis (the seed's "stalking" service) gets what it reads about a
 * recipient: public profile pages the user links, with the user's explicit consent, or text the user
 * pastes. A source only collects text; the analysis service turns it into interests with a model.
 */
export interface ProfileSourceInput {
  /** Public profile or page URLs the user gave (http/https only; every one is checked for SSRF). */
  readonly links: readonly string[];
  readonly signal: AbortSignal;
}

/** The readable text of one page, cut to the source's limit. */
export interface ProfileDocument {
  /** The URL the text came from. */
  readonly url: string;
  /** A page title or profile name where the source gives one. */
  readonly title: string | null;
  readonly text: string;
}

/** What came back from one collection: one link failing leaves the others' documents and says why. */
export interface ProfileCollection {
  readonly documents: readonly ProfileDocument[];
  /** One entry per link that gave nothing, with a reason fit for the user (never a secret). */
  readonly failures: readonly { readonly url: string; readonly reason: string }[];
}

/** `brightdata` (Bright Data's scraping API) or `fetch` (built-in SSRF-safe fetch and extract). */
export interface ProfileSource {
  readonly name: string;
  collect(input: ProfileSourceInput): Promise<ProfileCollection>;
}
