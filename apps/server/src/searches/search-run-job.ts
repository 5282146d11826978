import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import type { FoundResult, SavedSearchesRepository, SavedSearchResultRow, SavedSearchRow } from '@switchyard/db';
import { isUnrecoverable, markUnrecoverable } from '@switchyard/jobs';
import type { Logger } from 'pino';
import type { PlatformEventBus } from '../events/event-bus';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { WebSearchProvider } from '../web-search/web-search-provider';
import { normaliseUrl } from './normalise-url';

/** Results asked of the provider per run (providers cap a page at about 20). */
const resultsPerRun = 20;

/** Writes a short summary of new results; null when no model is configured. Throws when the model fails. */
export type Summariser = (
  search: Pick<SavedSearchRow, 'query' | 'summaryModel'>,
  results: readonly Pick<SavedSearchResultRow, 'title' | 'url' | 'snippet'>[],
  signal: AbortSignal,
) => Promise<string | null>;

export interface SearchRunDependencies {
  readonly repository: SavedSearchesRepository;
  /** The configured provider, or null (runs then fail for good). */
  readonly provider: WebSearchProvider | null;
  readonly events: Pick<PlatformEventBus, 'publish'>;
  readonly summarise: Summariser;
  readonly logger: Pick<Logger, 'warn'>;
}

/** The provider's hits, each page once (by normalised URL), in the provider's order. */
export function uniqueResults(
  hits: ReadonlyArray<{ title: string; url: string; snippet: string; published_at?: string }>,
) {
  const seen = new Set<string>();
  const results: FoundResult[] = [];
  for (const hit of hits) {
    const normalizedUrl = normaliseUrl(hit.url);
    if (!normalizedUrl || seen.has(normalizedUrl)) continue;
    seen.add(normalizedUrl);
    results.push({
      normalizedUrl,
      url: hit.url.slice(0, 4_000),
      title: hit.title.slice(0, 1_000),
      snippet: hit.snippet.slice(0, 4_000),
      publishedAt: hit.published_at ? new Date(hit.published_at) : null,
    });
  }
  return results;
}

/**
 * `search.run`: searches with the saved query and filters, stores the run and the results the search had
 * not found before (unique normalised URL per search), summarises those when asked, and publishes
 * SavedSearchResultsFound for notifications. The run's id is the job's, so a repeated attempt stores
 * nothing twice and republishes the same event id, which consumers skip.
 */
export async function registerSearchRunJob(jobs: PlatformJobQueue, dependencies: SearchRunDependencies): Promise<void> {
  const { repository, provider, events, summarise, logger } = dependencies;
  await jobs.process('search.run', async ({ id, payload, signal, attempt, maxAttempts }) => {
    const search = await repository.find(payload.searchId);
    // Deleted after the tick was queued: nothing to do.
    if (!search) return { skipped: 'deleted' };
    const ranAt = new Date();
    let hits: Awaited<ReturnType<WebSearchProvider['search']>>;
    try {
      if (!provider || provider.type !== search.provider) {
        throw markUnrecoverable(
          new SwitchyardError(
            'SY_ERR_DEPENDENCY_UNAVAILABLE',
            `The web-search provider '${search.provider}' is not configured`,
          ),
        );
      }
      hits = await provider.search({
        query: search.query,
        count: resultsPerRun,
        ...(search.language ? { language: search.language } : {}),
        ...(search.timeRange ? { timeRange: search.timeRange } : {}),
        ...(search.sites.length > 0 ? { sites: search.sites } : {}),
        signal,
      });
    } catch (error) {
      const retried = !isUnrecoverable(error) && (isSwitchyardError(error) ? error.isRetryable : true);
      // Only the run's last word is history: an attempt that will be tried again leaves none.
      if (attempt >= maxAttempts || !retried) {
        const failure = error instanceof Error ? error : new Error(String(error));
        await repository.recordRun(
          {
            // Its own id: a replay of the dead job that succeeds still records its results.
            id: `${id}-failed`,
            searchId: search.id,
            status: 'failed',
            summary: null,
            error: { code: isSwitchyardError(error) ? error.code : null, message: failure.message.slice(0, 2_000) },
            ranAt,
          },
          [],
        );
      }
      throw error;
    }
    const found = uniqueResults(hits);
    const { run, added } = await repository.recordRun(
      { id, searchId: search.id, status: 'succeeded', summary: null, error: null, ranAt },
      found,
    );
    if (added.length === 0) return { total: found.length, new: 0 };
    let summary = run.summary;
    if (search.summarise && summary === null) {
      try {
        summary = await summarise(search, added, signal);
        if (summary) await repository.setSummary(run.id, summary);
      } catch (error) {
        // The results matter more than their summary: the run goes on without one.
        logger.warn(
          { searchId: search.id, reason: error instanceof Error ? error.message : String(error) },
          'summary failed',
        );
      }
    }
    await events.publish(
      'SavedSearchResultsFound',
      {
        searchId: search.id,
        userId: search.userId,
        runId: run.id,
        name: search.name.slice(0, 200),
        query: search.query.slice(0, 500),
        newResults: added.length,
        results: added
          .slice(0, 20)
          .map((result) => ({ title: result.title, url: result.url, snippet: result.snippet })),
        ...(summary ? { summary: summary.slice(0, 8_000) } : {}),
        channels: search.channels,
      },
      { environment: 'prod', id: `saved-search-run-${run.id}` },
    );
    return { total: found.length, new: added.length };
  });
}
