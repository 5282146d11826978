import { platformJobs, withBackoffSchedule } from '@switchyard/jobs';
import { closedPortUrl, type RunningMcpHttpServer, startTestMcpHttpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/** The events of an SSE stream that ends by itself (after `completed` or `failed`). */
function eventsOf(text: string): Array<{ event: string; data: Json }> {
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) } : null;
    })
    .filter((entry) => entry !== null);
}

describe('async skill calls: a job with a status URL and an event stream', () => {
  let server: TestServer;
  let notes: RunningMcpHttpServer;
  let devKey: string;
  let otherDevKey: string;
  let prodKey: string;
  let devAdmin: string;

  beforeAll(async () => {
    notes = await startTestMcpHttpServer();
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        apps: [
          { id: 'notes', type: 'mcp', url: notes.url, timeoutMs: 5000 },
          { id: 'down', type: 'mcp', url: await closedPortUrl('/mcp') },
        ],
      },
      // Retries (of an app that cannot be reached) within the test instead of after minutes.
      jobsCatalog: withBackoffSchedule(platformJobs, [20, 40]),
    });
    devKey = await server.createKey('dev');
    otherDevKey = await server.createKey('dev');
    prodKey = await server.createKey('prod');
    devAdmin = await server.createKey('dev', { admin: true });
  });
  afterAll(async () => {
    await server?.destroy();
    await notes?.close();
  });

  const callAsync = (key: string, app: string, skill: string, input: unknown) =>
    keyRequest(server.url, key, 'POST', `/v1/apps/${app}/skills/${skill}`, { input, async: true });
  const events = async (key: string, url: string) => {
    const response = await keyRequest(server.url, key, 'GET', url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    return eventsOf(await response.text());
  };

  it('answers 202 with the job, streams it to completion, and keeps the result and last progress', async () => {
    const accepted = await callAsync(devKey, 'notes', 'steps', { count: 3 });
    expect(accepted.status).toBe(202);
    const body = await readJson(accepted);
    expect(body).toEqual({
      job_id: expect.any(String),
      status: 'queued',
      status_url: `/v1/skills/jobs/${body.job_id}`,
      events_url: `/v1/skills/jobs/${body.job_id}/events`,
    });
    expect(accepted.headers.get('location')).toBe(body.status_url);

    const stream = await events(devKey, body.events_url);
    // `status` comes first unless a step raced it (the stream subscribes before it reads the job).
    expect(stream.map((entry) => entry.event)).toContain('status');
    // Progress arrives as it happens when the stream was open in time; its order is the skill's.
    const progress = stream.filter((entry) => entry.event === 'progress').map((entry) => entry.data.message);
    expect(['step 1', 'step 2', 'step 3'].slice(3 - progress.length)).toEqual(progress);
    const completed = stream.at(-1);
    expect(completed?.event).toBe('completed');
    expect(completed?.data.result).toMatchObject({
      app: 'notes',
      skill: 'steps',
      output: 'done after 3 steps',
      is_error: false,
    });

    const job = await readJson(await keyRequest(server.url, devKey, 'GET', body.status_url));
    expect(job).toMatchObject({
      id: body.job_id,
      object: 'skill.job',
      status: 'completed',
      app: 'notes',
      skill: 'steps',
      environment: 'dev',
      attempts: 1,
      progress: { message: 'step 3', fraction: 1 },
      result: { output: 'done after 3 steps', is_error: false, truncated: false },
    });
  });

  it('completes with is_error when the skill itself fails (the call worked; the work did not)', async () => {
    const { events_url } = await readJson(await callAsync(devKey, 'notes', 'broken', {}));
    const completed = (await events(devKey, events_url)).at(-1);
    expect(completed?.event).toBe('completed');
    expect(completed?.data.result).toMatchObject({ output: 'the broken tool broke', is_error: true });
  });

  it('fails at once, without retrying, when the input is refused; an app that cannot be reached is retried', async () => {
    const invalid = await readJson(await callAsync(devKey, 'notes', 'add', { a: 'two', b: 3 }));
    const failed = (await events(devKey, invalid.events_url)).at(-1);
    expect(failed).toEqual({
      event: 'failed',
      data: {
        id: invalid.job_id,
        status: 'failed',
        error: { code: 'SY_ERR_VALIDATION', message: 'input.a must be number' },
      },
    });
    const job = await readJson(await keyRequest(server.url, devKey, 'GET', invalid.status_url));
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'SY_ERR_VALIDATION' } });

    const down = await readJson(await callAsync(devKey, 'down', 'echo', { text: 'x' }));
    const downEvents = await events(devKey, down.events_url);
    expect(downEvents.at(-1)).toMatchObject({ event: 'failed', data: { error: { code: 'SY_ERR_APP_UNAVAILABLE' } } });
    const downJob = await readJson(await keyRequest(server.url, devKey, 'GET', down.status_url));
    expect(downJob).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('refuses an unknown app at once (404, no job), and hides a job from every other key (404)', async () => {
    const unknown = await callAsync(devKey, 'nope', 'echo', {});
    expect(unknown.status).toBe(404);
    expect((await readJson(unknown)).error.code).toBe('SY_ERR_APP_NOT_FOUND');

    const { status_url, events_url } = await readJson(await callAsync(devKey, 'notes', 'echo', { text: 'mine' }));
    for (const key of [otherDevKey, prodKey]) {
      for (const url of [status_url, events_url]) {
        const refused = await keyRequest(server.url, key, 'GET', url);
        expect(refused.status).toBe(404);
        expect((await readJson(refused)).error.code).toBe('SY_ERR_NOT_FOUND');
      }
    }
    expect((await events(devKey, events_url)).at(-1)?.event).toBe('completed');
  });

  it('logs each run as a usage row with origin job, next to direct calls (origin api)', async () => {
    const direct = await keyRequest(server.url, devKey, 'POST', '/v1/apps/notes/skills/echo', { input: { text: 'x' } });
    expect(direct.status).toBe(200);
    await server.parts.skillCalls.flush();
    const usage = await readJson(await keyRequest(server.url, devAdmin, 'GET', '/v1/admin/usage/skills?app=notes'));
    const rows = usage.calls.map((row: Json) => `${row.via}:${row.skill}:${row.status}`);
    expect(rows).toEqual(
      expect.arrayContaining(['job:steps:ok', 'job:broken:error', 'job:add:invalid', 'job:echo:ok', 'api:echo:ok']),
    );
    const downRows = await readJson(await keyRequest(server.url, devAdmin, 'GET', '/v1/admin/usage/skills?app=down'));
    expect(downRows.skills).toEqual([expect.objectContaining({ skill: 'echo', calls: 3, failures: 3 })]);
  });
});
