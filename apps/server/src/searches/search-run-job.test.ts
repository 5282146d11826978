import { SwitchyardError } from '@switchyard/core';
import { createSavedSearchesRepository, openDatabase, type SwitchyardDatabase, users } from '@switchyard/db';
import type { JobContext, JobHandler } from '@switchyard/jobs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformJobQueue } from '../jobs/job-queue';
import type { WebSearchProvider, WebSearchResult } from '../web-search/web-search-provider';
import { registerSearchRunJob, type Summariser } from './search-run-job';

type Payload = { environment: 'prod' | 'dev'; searchId: string };

let database: SwitchyardDatabase;
let run: JobHandler<Payload>;
/** What the provider answers next (a page of hits, or an error to throw). */
let answer: WebSearchResult[] | Error;
let summary: string | Error | null;
const published: Array<{ payload: Record<string, unknown>; id: string | undefined }> = [];
const searchId = 'search-1';

const page = (slug: string, url = `https://example.com/${slug}`): WebSearchResult => ({
  title: slug,
  url,
  snippet: `about ${slug}`,
});

function context(id: string, attempt = 1, maxAttempts = 3): JobContext<Payload> {
  return {
    id,
    name: 'search.run',
    environment: 'prod',
    payload: { environment: 'prod', searchId },
    attempt,
    maxAttempts,
    signal: new AbortController().signal,
    reportProgress: async () => {},
  };
}

beforeAll(async () => {
  database = await openDatabase({ kind: 'pglite', dataDir: null });
  await database.db.insert(users).values({ id: 'user-1', name: 'A', email: 'a@example.test' });
  const repository = createSavedSearchesRepository(database.db);
  await repository.insert({
    id: searchId,
    userId: 'user-1',
    name: 'tides',
    query: 'tides',
    provider: 'searxng',
    sites: [],
    channels: ['in_app', 'email'],
    summarise: true,
  });
  const provider: WebSearchProvider = {
    type: 'searxng',
    async search() {
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const summarise: Summariser = async () => {
    if (summary instanceof Error) throw summary;
    return summary;
  };
  const jobs = {
    async process(_name: string, handler: JobHandler<Payload>) {
      run = handler;
    },
  } as unknown as PlatformJobQueue;
  await registerSearchRunJob(jobs, {
    repository,
    provider,
    summarise,
    events: {
      publish: (async (_name: string, payload: Record<string, unknown>, options: { id?: string }) => {
        published.push({ payload, id: options.id });
        return {};
      }) as never,
    },
    logger: { warn: () => {} },
  });
});

afterAll(async () => {
  await database.close();
});

beforeEach(() => {
  published.length = 0;
  summary = 'Two new pages.';
});

describe('search.run', () => {
  it('keeps only what is new across runs, summarises it and announces it once per run', async () => {
    answer = [page('a'), page('b'), page('a-again', 'https://www.example.com/a/?utm_source=feed')];
    expect(await run(context('job-1'))).toEqual({ total: 2, new: 2 });
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      id: 'saved-search-run-job-1',
      payload: { searchId, userId: 'user-1', newResults: 2, summary: 'Two new pages.', channels: ['in_app', 'email'] },
    });

    answer = [page('b', 'http://example.com/b#comments'), page('c')];
    summary = null;
    expect(await run(context('job-2'))).toEqual({ total: 2, new: 1 });
    expect(published[1]?.payload).toMatchObject({ newResults: 1, results: [{ url: 'https://example.com/c' }] });
    expect(published[1]?.payload.summary).toBeUndefined();

    // The same job again (a worker died after storing): nothing stored twice, the same event id again.
    expect(await run(context('job-2'))).toEqual({ total: 2, new: 1 });
    expect(published[2]?.id).toBe('saved-search-run-job-2');
    const runs = await createSavedSearchesRepository(database.db).listRuns(searchId, 10);
    expect(runs.map((entry) => [entry.id, entry.newResults])).toEqual([
      ['job-2', 1],
      ['job-1', 2],
    ]);

    // Nothing new: no event.
    const before = published.length;
    expect(await run(context('job-3'))).toEqual({ total: 2, new: 0 });
    expect(published).toHaveLength(before);
  });

  it('a failed summary leaves the run without one', async () => {
    answer = [page('d')];
    summary = new Error('model down');
    expect(await run(context('job-4'))).toEqual({ total: 1, new: 1 });
    expect(published[0]?.payload.summary).toBeUndefined();
  });

  it('records a provider failure only when the job will not be tried again', async () => {
    answer = new SwitchyardError('SY_ERR_APP_UNAVAILABLE', 'Web search (searxng) is unavailable');
    await expect(run(context('job-5', 1, 3))).rejects.toThrow('unavailable');
    const repository = createSavedSearchesRepository(database.db);
    expect((await repository.listRuns(searchId, 10)).some((entry) => entry.id.startsWith('job-5'))).toBe(false);
    await expect(run(context('job-5', 3, 3))).rejects.toThrow('unavailable');
    const [failed] = await repository.listRuns(searchId, 1);
    expect(failed).toMatchObject({
      id: 'job-5-failed',
      status: 'failed',
      error: { code: 'SY_ERR_APP_UNAVAILABLE', message: 'Web search (searxng) is unavailable' },
    });
  });
});
