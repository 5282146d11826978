import { randomUUID } from 'node:crypto';
import { SwitchyardError } from '@switchyard/core';
import type {
  MissedTickPolicy,
  SavedSearchesRepository,
  SavedSearchResultRow,
  SavedSearchRow,
  SavedSearchRunRow,
  SearchTimeRange,
} from '@switchyard/db';
import type { ScheduleTiming } from '@switchyard/jobs';
import type { Scheduler, ScheduleView } from '../schedules/scheduler';

/** Where a user may be told about new results; notifications deliver on them. */
export const notificationChannels = ['in_app', 'email', 'whatsapp'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

/** A user's search runs at most this often: every run calls a paid or rate-limited API. */
export const minimumSearchIntervalMs = 15 * 60_000;

export interface SavedSearchInput {
  name: string;
  query: string;
  provider?: string;
  language?: string | null;
  timeRange?: SearchTimeRange | null;
  sites?: string[];
  channels?: NotificationChannel[];
  summarise?: boolean;
  summaryModel?: string | null;
  timing: ScheduleTiming;
  missedPolicy?: MissedTickPolicy;
}

export type SavedSearchChanges = Partial<SavedSearchInput> & { paused?: boolean };

export interface SavedSearchView {
  search: SavedSearchRow;
  schedule: ScheduleView | null;
}

export interface SavedSearchRunView {
  run: SavedSearchRunRow;
  results: SavedSearchResultRow[];
}

export interface SavedSearchesOptions {
  repository: SavedSearchesRepository;
  scheduler: Scheduler;
  /** The configured web-search provider's type (`searxng`, `brave`, `tavily`), or null when there is none. */
  providerType: string | null;
}

const scheduleIdOf = (searchId: string) => `search-${searchId}`;

/**
 * Saved searches: each is a row of its owner's plus a schedule (origin `search`) that queues
 * `search.run`. Every read and change is scoped to the signed-in user: another user's search is
 * reported as missing.
 */
export function createSavedSearches({ repository, scheduler, providerType }: SavedSearchesOptions) {
  function notFound(id: string): SwitchyardError {
    return new SwitchyardError('SY_ERR_NOT_FOUND', `No saved search with id '${id}'`);
  }

  function checkProvider(provider: string | undefined): string {
    if (!providerType) {
      throw new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'No web-search provider is configured (webSearch:)');
    }
    if (provider !== undefined && provider !== providerType) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `The web-search provider '${provider}' is not configured; this server searches with '${providerType}'`,
      );
    }
    return providerType;
  }

  function checkTiming(timing: ScheduleTiming | undefined): void {
    if (timing?.kind === 'interval' && timing.intervalMs < minimumSearchIntervalMs) {
      throw new SwitchyardError(
        'SY_ERR_VALIDATION',
        `A saved search runs at most every ${minimumSearchIntervalMs / 60_000} minutes (interval_ms ≥ ${minimumSearchIntervalMs})`,
      );
    }
  }

  async function owned(id: string, userId: string): Promise<SavedSearchRow> {
    const search = await repository.findOwned(id, userId);
    if (!search) throw notFound(id);
    return search;
  }

  async function view(search: SavedSearchRow): Promise<SavedSearchView> {
    const schedule = await scheduler.get(scheduleIdOf(search.id)).catch(() => null);
    return { search, schedule };
  }

  return {
    async create(userId: string, input: SavedSearchInput): Promise<SavedSearchView> {
      const provider = checkProvider(input.provider);
      checkTiming(input.timing);
      const id = randomUUID();
      const now = new Date();
      const search = await repository.insert({
        id,
        userId,
        name: input.name,
        query: input.query,
        provider,
        language: input.language ?? null,
        timeRange: input.timeRange ?? null,
        sites: input.sites ?? [],
        channels: input.channels ?? ['in_app'],
        summarise: input.summarise ?? false,
        summaryModel: input.summaryModel ?? null,
        createdAt: now,
        updatedAt: now,
      });
      try {
        const schedule = await scheduler.create({
          id: scheduleIdOf(id),
          environment: 'prod',
          name: `Saved search: ${input.name}`.slice(0, 200),
          origin: 'search',
          jobName: 'search.run',
          payload: { environment: 'prod', searchId: id },
          timing: input.timing,
          missedPolicy: input.missedPolicy ?? 'run_once',
        });
        return { search, schedule };
      } catch (error) {
        await repository.delete(id, userId);
        throw error;
      }
    },

    async list(userId: string): Promise<SavedSearchView[]> {
      const searches = await repository.listOwned(userId);
      return Promise.all(searches.map(view));
    },

    async get(userId: string, id: string): Promise<SavedSearchView> {
      return view(await owned(id, userId));
    },

    async update(userId: string, id: string, changes: SavedSearchChanges): Promise<SavedSearchView> {
      await owned(id, userId);
      if (changes.provider !== undefined) checkProvider(changes.provider);
      checkTiming(changes.timing);
      const scheduleId = scheduleIdOf(id);
      if (changes.timing || changes.missedPolicy || changes.name) {
        await scheduler.update(scheduleId, {
          ...(changes.timing ? { timing: changes.timing } : {}),
          ...(changes.missedPolicy ? { missedPolicy: changes.missedPolicy } : {}),
          ...(changes.name ? { name: `Saved search: ${changes.name}`.slice(0, 200) } : {}),
        });
      }
      if (changes.paused === true) await scheduler.pause(scheduleId);
      if (changes.paused === false) await scheduler.resume(scheduleId);
      const search = await repository.update(id, userId, {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.query === undefined ? {} : { query: changes.query }),
        ...(changes.language === undefined ? {} : { language: changes.language }),
        ...(changes.timeRange === undefined ? {} : { timeRange: changes.timeRange }),
        ...(changes.sites === undefined ? {} : { sites: changes.sites }),
        ...(changes.channels === undefined ? {} : { channels: changes.channels }),
        ...(changes.summarise === undefined ? {} : { summarise: changes.summarise }),
        ...(changes.summaryModel === undefined ? {} : { summaryModel: changes.summaryModel }),
        updatedAt: new Date(),
      });
      if (!search) throw notFound(id);
      return view(search);
    },

    async delete(userId: string, id: string): Promise<void> {
      await owned(id, userId);
      await scheduler.delete(scheduleIdOf(id)).catch((error: unknown) => {
        if (!(error instanceof SwitchyardError && error.code === 'SY_ERR_NOT_FOUND')) throw error;
      });
      if (!(await repository.delete(id, userId))) throw notFound(id);
    },

    /** Queues a run now, besides the schedule's own. */
    async runNow(userId: string, id: string) {
      await owned(id, userId);
      return scheduler.runNow(scheduleIdOf(id));
    },

    /** Runs newest first, each with the results it found first (what was new then). */
    async history(userId: string, id: string, limit = 20): Promise<SavedSearchRunView[]> {
      await owned(id, userId);
      const runs = await repository.listRuns(id, limit);
      const results = await repository.resultsOfRuns(runs.map((run) => run.id));
      return runs.map((run) => ({ run, results: results.filter((result) => result.runId === run.id) }));
    },
  };
}

export type SavedSearches = ReturnType<typeof createSavedSearches>;
