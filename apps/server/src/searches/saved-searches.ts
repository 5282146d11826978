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
import { type Actor, authorizeRow, creationProject, listScope } from '../projects/project-access';
import type { Scheduler, ScheduleView } from '../schedules/scheduler';

/** Where a user may be told about new results; notifications deliver on them. */
export const notificationChannels = ['in_app', 'email', 'whatsapp'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

/** A user's search runs at most this often: every run calls a paid or rate-limited API. */
export const minimumSearchIntervalMs = 15 * 60_000;

export interface SavedSearchInput {
  /** The project to share it in (the actor needs a member's role there); absent: their own. */
  projectId?: string | null;
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

  /** The search if the actor may do `action` to it: their own, or shared in a project where their role allows. */
  async function reachable(actor: Actor, id: string, action: 'read' | 'edit' | 'delete'): Promise<SavedSearchRow> {
    const search = await repository.find(id).catch(() => undefined);
    try {
      await authorizeRow(actor, search, action, 'saved search');
    } catch (error) {
      if (error instanceof SwitchyardError && error.code === 'SY_ERR_NOT_FOUND') throw notFound(id);
      throw error;
    }
    return search as SavedSearchRow;
  }

  async function remove(id: string): Promise<void> {
    await scheduler.delete(scheduleIdOf(id)).catch((error: unknown) => {
      if (!(error instanceof SwitchyardError && error.code === 'SY_ERR_NOT_FOUND')) throw error;
    });
    await repository.deleteById(id);
  }

  async function view(search: SavedSearchRow): Promise<SavedSearchView> {
    const schedule = await scheduler.get(scheduleIdOf(search.id)).catch(() => null);
    return { search, schedule };
  }

  return {
    async create(actor: Actor, input: SavedSearchInput): Promise<SavedSearchView> {
      const provider = checkProvider(input.provider);
      checkTiming(input.timing);
      const projectId = await creationProject(actor, input.projectId);
      const id = randomUUID();
      const now = new Date();
      const search = await repository.insert({
        id,
        userId: actor.userId,
        projectId,
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
        await repository.deleteById(id);
        throw error;
      }
    },

    /** The actor's own searches, or a project's (`projectId`, or a project key's project). */
    async list(actor: Actor, projectId?: string): Promise<SavedSearchView[]> {
      const searches = await repository.listScoped(await listScope(actor, projectId));
      return Promise.all(searches.map(view));
    },

    async get(actor: Actor, id: string): Promise<SavedSearchView> {
      return view(await reachable(actor, id, 'read'));
    },

    async update(actor: Actor, id: string, changes: SavedSearchChanges): Promise<SavedSearchView> {
      await reachable(actor, id, 'edit');
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
      const search = await repository.updateById(id, {
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

    async delete(actor: Actor, id: string): Promise<void> {
      await reachable(actor, id, 'delete');
      await remove(id);
    },

    /** Every search of a deleted project, with its schedule. */
    async deleteForProject(projectId: string): Promise<void> {
      for (const search of await repository.listScoped({ kind: 'project', projectId })) await remove(search.id);
    },

    /** Queues a run now, besides the schedule's own (changing what the search does: an edit). */
    async runNow(actor: Actor, id: string) {
      await reachable(actor, id, 'edit');
      return scheduler.runNow(scheduleIdOf(id));
    },

    /** Runs newest first, each with the results it found first (what was new then). */
    async history(actor: Actor, id: string, limit = 20): Promise<SavedSearchRunView[]> {
      await reachable(actor, id, 'read');
      const runs = await repository.listRuns(id, limit);
      const results = await repository.resultsOfRuns(runs.map((run) => run.id));
      return runs.map((run) => ({ run, results: results.filter((result) => result.runId === run.id) }));
    },
  };
}

export type SavedSearches = ReturnType<typeof createSavedSearches>;
