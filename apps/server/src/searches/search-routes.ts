import {
  AnyIdParams,
  CreateSavedSearchRequest,
  ErrorResponse,
  ProjectQuery,
  SavedSearch,
  SavedSearchList,
  SavedSearchRunList,
  ScheduleRun,
  UpdateSavedSearchRequest,
} from '@switchyard/api-schemas';
import { SwitchyardError } from '@switchyard/core';
import type { Db } from '@switchyard/db';
import type { ScheduleTiming } from '@switchyard/jobs';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { actorOf } from '../edge/owner';
import type { RouteBehaviour } from '../edge/principal';
import { describeRun } from '../schedules/admin-schedule-routes';
import type { SavedSearches, SavedSearchRunView, SavedSearchView } from './saved-searches';

const sessionBehaviour: RouteBehaviour = { auth: 'session', usage: false };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

function describeSearch({ search, schedule }: SavedSearchView): Static<typeof SavedSearch> {
  const timing = schedule?.timing;
  return {
    id: search.id,
    name: search.name,
    query: search.query,
    provider: search.provider,
    language: search.language,
    time_range: search.timeRange,
    sites: search.sites,
    channels: search.channels,
    summarise: search.summarise,
    summary_model: search.summaryModel,
    cron: timing?.kind === 'cron' ? timing.cron : null,
    timezone: timing?.kind === 'cron' ? timing.timezone : null,
    interval_ms: timing?.kind === 'interval' ? timing.intervalMs : null,
    missed_policy: schedule?.missedPolicy ?? 'run_once',
    paused: schedule?.paused ?? true,
    next_run_at: schedule?.nextRunAt ? schedule.nextRunAt.toISOString() : null,
    last_run: schedule?.lastRun ? describeRun(schedule.lastRun) : null,
    created_at: search.createdAt.toISOString(),
    updated_at: search.updatedAt.toISOString(),
    project_id: search.projectId,
    created_by: search.userId,
  };
}

function describeHistory({ run, results }: SavedSearchRunView) {
  return {
    id: run.id,
    status: run.status,
    ran_at: run.ranAt.toISOString(),
    total_results: run.totalResults,
    new_results: run.newResults,
    summary: run.summary,
    error: run.error ?? null,
    results: results.map((result) => ({
      title: result.title,
      url: result.url,
      snippet: result.snippet,
      published_at: result.publishedAt ? result.publishedAt.toISOString() : null,
      found_at: result.foundAt.toISOString(),
    })),
  };
}

function timingOf(body: { cron?: string; timezone?: string; interval_ms?: number }): ScheduleTiming | undefined {
  if (body.cron !== undefined && body.interval_ms !== undefined) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'Give either cron or interval_ms, not both');
  }
  if (body.cron !== undefined) return { kind: 'cron', cron: body.cron, timezone: body.timezone ?? 'UTC' };
  if (body.timezone !== undefined) throw new SwitchyardError('SY_ERR_VALIDATION', 'timezone needs cron');
  if (body.interval_ms !== undefined) return { kind: 'interval', intervalMs: body.interval_ms };
  return undefined;
}

/** A signed-in user's saved searches: own ones only (another user's is a 404), with their results history. */
export function registerSearchRoutes(app: FastifyInstance, searches: SavedSearches, controlDb: Db): void {
  const tags = ['Saved searches'];

  app.get<{ Querystring: Static<typeof ProjectQuery> }>(
    '/api/searches',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary: "Your saved searches, or a project's (?project=<id>)",
        querystring: ProjectQuery,
        response: { 200: SavedSearchList, ...errors },
      },
    },
    async (request) => ({
      searches: (await searches.list(actorOf(controlDb, request), request.query.project)).map(describeSearch),
    }),
  );

  app.post<{ Body: Static<typeof CreateSavedSearchRequest> }>(
    '/api/searches',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary: 'Save a search that runs on a schedule (cron or interval; default daily at 08:00 UTC)',
        body: CreateSavedSearchRequest,
        response: { 201: SavedSearch, ...errors },
      },
    },
    async (request, reply) => {
      const actor = actorOf(controlDb, request);
      const body = request.body;
      const created = await searches.create(actor, {
        ...(body.project_id === undefined ? {} : { projectId: body.project_id }),
        name: body.name ?? body.query.slice(0, 200),
        query: body.query,
        ...(body.provider === undefined ? {} : { provider: body.provider }),
        ...(body.language === undefined ? {} : { language: body.language }),
        ...(body.time_range === undefined ? {} : { timeRange: body.time_range }),
        ...(body.sites === undefined ? {} : { sites: body.sites.map((site) => site.toLowerCase()) }),
        ...(body.channels === undefined ? {} : { channels: body.channels }),
        ...(body.summarise === undefined ? {} : { summarise: body.summarise }),
        ...(body.summary_model === undefined ? {} : { summaryModel: body.summary_model }),
        timing: timingOf(body) ?? { kind: 'cron', cron: '0 8 * * *', timezone: 'UTC' },
        ...(body.missed_policy === undefined ? {} : { missedPolicy: body.missed_policy }),
      });
      return reply.code(201).send(describeSearch(created));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/searches/:id',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary: 'One of your saved searches',
        params: AnyIdParams,
        response: { 200: SavedSearch, ...errors },
      },
    },
    async (request) => describeSearch(await searches.get(actorOf(controlDb, request), request.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: Static<typeof UpdateSavedSearchRequest> }>(
    '/api/searches/:id',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary: 'Change a saved search, its schedule, or pause / resume it',
        params: AnyIdParams,
        body: UpdateSavedSearchRequest,
        response: { 200: SavedSearch, ...errors },
      },
    },
    async (request) => {
      const actor = actorOf(controlDb, request);
      const body = request.body;
      const timing = timingOf(body);
      const updated = await searches.update(actor, request.params.id, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.query === undefined ? {} : { query: body.query }),
        ...(body.provider === undefined ? {} : { provider: body.provider }),
        ...(body.language === undefined ? {} : { language: body.language }),
        ...(body.time_range === undefined ? {} : { timeRange: body.time_range }),
        ...(body.sites === undefined ? {} : { sites: body.sites.map((site) => site.toLowerCase()) }),
        ...(body.channels === undefined ? {} : { channels: body.channels }),
        ...(body.summarise === undefined ? {} : { summarise: body.summarise }),
        ...(body.summary_model === undefined ? {} : { summaryModel: body.summary_model }),
        ...(timing === undefined ? {} : { timing }),
        ...(body.missed_policy === undefined ? {} : { missedPolicy: body.missed_policy }),
        ...(body.paused === undefined ? {} : { paused: body.paused }),
      });
      return describeSearch(updated);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/searches/:id',
    {
      config: { behaviour: sessionBehaviour },
      schema: { tags, summary: 'Delete a saved search and its results', params: AnyIdParams, response: errors },
    },
    async (request, reply) => {
      await searches.delete(actorOf(controlDb, request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/searches/:id/runs',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary: 'Results history: runs newest first, each with the results that were new in it',
        params: AnyIdParams,
        response: { 200: SavedSearchRunList, ...errors },
      },
    },
    async (request) => ({
      runs: (await searches.history(actorOf(controlDb, request), request.params.id)).map(describeHistory),
    }),
  );

  app.post<{ Params: { id: string } }>(
    '/api/searches/:id/run',
    {
      config: { behaviour: sessionBehaviour },
      schema: {
        tags,
        summary: 'Run a saved search now, besides its schedule',
        params: AnyIdParams,
        response: { 202: ScheduleRun, ...errors },
      },
    },
    async (request, reply) => {
      const run = await searches.runNow(actorOf(controlDb, request), request.params.id);
      return reply.code(202).send(describeRun(run));
    },
  );
}
