import {
  AnyIdParams,
  CreateScheduleRequest,
  ErrorResponse,
  Schedule,
  ScheduleList,
  ScheduleListQuery,
  ScheduleRun,
  ScheduleRunList,
  UpdateScheduleRequest,
} from '@switchyard/api-schemas';
import { environments, SwitchyardError } from '@switchyard/core';
import type { ScheduleTiming } from '@switchyard/jobs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { administeredEnvironments, administers, assertAdministers } from '../edge/admin-environments';
import type { RouteBehaviour } from '../edge/principal';
import type { ScheduleRun as Run, Scheduler, ScheduleView } from './scheduler';

const behaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage. */
const readBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

export function describeRun(run: Run): Static<typeof ScheduleRun> {
  return {
    tick_at: run.tickAt.toISOString(),
    fired_at: run.firedAt.toISOString(),
    manual: run.manual,
    late_ms: run.lateMs,
    outcome: run.outcome,
    job_id: run.jobId,
    job_status: run.jobStatus,
    error: run.error,
  };
}

export function describeSchedule(schedule: ScheduleView): Static<typeof Schedule> {
  return {
    id: schedule.id,
    name: schedule.name,
    environment: schedule.environment,
    origin: schedule.origin,
    job: schedule.jobName,
    payload: schedule.payload,
    cron: schedule.timing.kind === 'cron' ? schedule.timing.cron : null,
    timezone: schedule.timing.kind === 'cron' ? schedule.timing.timezone : null,
    interval_ms: schedule.timing.kind === 'interval' ? schedule.timing.intervalMs : null,
    missed_policy: schedule.missedPolicy,
    paused: schedule.paused,
    next_run_at: schedule.nextRunAt ? schedule.nextRunAt.toISOString() : null,
    last_run: schedule.lastRun ? describeRun(schedule.lastRun) : null,
    runs: schedule.runs,
    failures: schedule.failures,
    created_at: schedule.createdAt.toISOString(),
    updated_at: schedule.updatedAt.toISOString(),
  };
}

/** `cron` (+ `timezone`) or `interval_ms`, exactly one; undefined when the request names neither. */
function timingOf(body: { cron?: string; timezone?: string; interval_ms?: number }): ScheduleTiming | undefined {
  if (body.cron !== undefined && body.interval_ms !== undefined) {
    throw new SwitchyardError('SY_ERR_VALIDATION', 'Give either cron or interval_ms, not both');
  }
  if (body.cron !== undefined) return { kind: 'cron', cron: body.cron, timezone: body.timezone ?? 'UTC' };
  if (body.timezone !== undefined) throw new SwitchyardError('SY_ERR_VALIDATION', 'timezone needs cron');
  if (body.interval_ms !== undefined) return { kind: 'interval', intervalMs: body.interval_ms };
  return undefined;
}

/** The schedule, if the caller administers its environment; another environment's looks like a missing one. */
async function administered(
  scheduler: Scheduler,
  request: FastifyRequest<{ Params: { id: string } }>,
): Promise<ScheduleView> {
  const id = request.params.id;
  const found = await scheduler.find(id);
  if (!found || !administers(request.principal, found.environment)) {
    throw new SwitchyardError('SY_ERR_NOT_FOUND', `No schedule with id '${id}'`);
  }
  return scheduler.get(id);
}

/** System schedules and saved searches' schedules belong to their owners: admins pause and run them, not more. */
function assertOwnedByAdmins(schedule: ScheduleView, what: string): void {
  if (schedule.origin === 'admin') return;
  throw new SwitchyardError(
    'SY_ERR_CONFLICT',
    schedule.origin === 'system'
      ? `'${schedule.id}' is a system schedule: ${what} is not possible (pause it instead)`
      : `'${schedule.id}' belongs to a saved search: ${what} is up to its owner`,
  );
}

/** Durable schedules: list with next run, last result and failures; create, change, delete, pause, resume, run now. */
export function registerAdminScheduleRoutes(app: FastifyInstance, scheduler: Scheduler): void {
  app.get<{ Querystring: Static<typeof ScheduleListQuery> }>(
    '/v1/admin/schedules',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Schedules with their next run, last result and failures',
        security,
        querystring: ScheduleListQuery,
        response: { 200: ScheduleList, ...errors },
      },
    },
    async (request) => {
      const administeredNow = administeredEnvironments(request.principal);
      const requested = request.query.environment;
      if (requested !== undefined) assertAdministers(request.principal, requested);
      const wanted = requested !== undefined ? [requested] : administeredNow;
      const all = environments.every((environment) => wanted.includes(environment));
      const schedules = await scheduler.list(all ? {} : { environments: wanted });
      return { schedules: schedules.map(describeSchedule) };
    },
  );

  app.post<{ Body: Static<typeof CreateScheduleRequest> }>(
    '/v1/admin/schedules',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Create a schedule that queues a catalog job on a cron expression or an interval',
        security,
        body: CreateScheduleRequest,
        response: { 201: Schedule, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      assertAdministers(request.principal, body.environment);
      const timing = timingOf(body);
      if (!timing) throw new SwitchyardError('SY_ERR_VALIDATION', 'Give cron (with timezone) or interval_ms');
      const created = await scheduler.create({
        environment: body.environment,
        name: body.name,
        origin: 'admin',
        jobName: body.job,
        payload: body.payload,
        timing,
        missedPolicy: body.missed_policy ?? 'run_once',
        ...(body.paused === undefined ? {} : { paused: body.paused }),
      });
      return reply.code(201).send(describeSchedule(created));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/admin/schedules/:id',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'One schedule',
        security,
        params: AnyIdParams,
        response: { 200: Schedule, ...errors },
      },
    },
    async (request) => describeSchedule(await administered(scheduler, request)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/admin/schedules/:id/runs',
    {
      config: { behaviour: readBehaviour },
      schema: {
        tags: ['Admin'],
        summary: "A schedule's recent runs, newest first, with their jobs' state",
        security,
        params: AnyIdParams,
        response: { 200: ScheduleRunList, ...errors },
      },
    },
    async (request) => {
      await administered(scheduler, request);
      return { runs: (await scheduler.runs(request.params.id, 50)).map(describeRun) };
    },
  );

  app.patch<{ Params: { id: string }; Body: Static<typeof UpdateScheduleRequest> }>(
    '/v1/admin/schedules/:id',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: "Change a schedule's name, payload, timing or missed-tick policy",
        security,
        params: AnyIdParams,
        body: UpdateScheduleRequest,
        response: { 200: Schedule, ...errors },
      },
    },
    async (request) => {
      const current = await administered(scheduler, request);
      const body = request.body;
      if (current.origin === 'search' || (current.origin === 'system' && body.payload !== undefined)) {
        assertOwnedByAdmins(current, 'changing it');
      }
      const timing = timingOf(body);
      const updated = await scheduler.update(current.id, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.payload === undefined ? {} : { payload: body.payload }),
        ...(timing === undefined ? {} : { timing }),
        ...(body.missed_policy === undefined ? {} : { missedPolicy: body.missed_policy }),
      });
      return describeSchedule(updated);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/admin/schedules/:id',
    {
      config: { behaviour },
      schema: { tags: ['Admin'], summary: 'Delete a schedule', security, params: AnyIdParams, response: errors },
    },
    async (request, reply) => {
      const current = await administered(scheduler, request);
      assertOwnedByAdmins(current, 'deleting it');
      await scheduler.delete(current.id);
      return reply.code(204).send();
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { id: string } }>(
      `/v1/admin/schedules/:id/${action}`,
      {
        config: { behaviour },
        schema: {
          tags: ['Admin'],
          summary:
            action === 'pause'
              ? 'Pause a schedule: no ticks until it is resumed'
              : 'Resume a paused schedule from its next tick (ticks passed while paused are not caught up)',
          security,
          params: AnyIdParams,
          response: { 200: Schedule, ...errors },
        },
      },
      async (request) => {
        const current = await administered(scheduler, request);
        return describeSchedule(await scheduler[action](current.id));
      },
    );
  }

  app.post<{ Params: { id: string } }>(
    '/v1/admin/schedules/:id/run',
    {
      config: { behaviour },
      schema: {
        tags: ['Admin'],
        summary: "Queue the schedule's job now, besides its regular ticks (paused or not)",
        security,
        params: AnyIdParams,
        response: { 202: ScheduleRun, ...errors },
      },
    },
    async (request, reply) => {
      const current = await administered(scheduler, request);
      return reply.code(202).send(describeRun(await scheduler.runNow(current.id)));
    },
  );
}
