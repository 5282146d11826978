import { randomBytes } from 'node:crypto';
import { platformEvents } from '@switchyard/events';
import {
  amqpAvailable,
  createServerModeEnvironment,
  deleteAmqpTopology,
  eventually,
  type ServerModeEnvironment,
  serverModeAvailable,
  testAmqpUrl,
  uniqueAmqpPrefix,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTrace } from '../edge/request-context';
import { startTestServer, type TestServer } from '../testing/test-server';
import { handlerLog } from './event-bus';
import { flowLogGroup } from './flows';

interface SseFrame {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/** Opens a flow's stream; `frames` resolves once the server ended the stream. */
async function follow(baseUrl: string, flowId: string, key: string | null, lastEventId?: string) {
  const response = await fetch(`${baseUrl}/v1/events/flows/${flowId}`, {
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
  });
  return { response, frames: response.ok ? readFrames(response) : Promise.resolve([]) };
}

async function readFrames(response: Response): Promise<SseFrame[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { id: field('id'), event: field('event') ?? '', data: JSON.parse(field('data') ?? 'null') };
    });
}

async function keyIdOf(server: TestServer, admin: string, key: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/admin/keys`, { headers: { authorization: `Bearer ${admin}` } });
  const body = (await response.json()) as { keys: Array<{ id: string; prefix: string }> };
  const found = body.keys.find((record) => key.startsWith(record.prefix));
  if (!found) throw new Error('key not listed');
  return found.id;
}

describe('events: flows over SSE and dead letters (embedded)', () => {
  let server: TestServer;
  let admin: string;
  let owner: string;
  let ownerId: string;
  let stranger: string;
  let devKey: string;

  beforeAll(async () => {
    server = await startTestServer({ eventRetryPolicy: { maxAttempts: 2, initialDelayMs: 5 } });
    admin = await server.createKey('prod', { admin: true });
    owner = await server.createKey('prod', { name: 'owner' });
    stranger = await server.createKey('prod', { name: 'stranger' });
    devKey = await server.createKey('dev', { name: 'dev' });
    ownerId = await keyIdOf(server, admin, owner);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('streams a flow’s events to its owner, resumes after Last-Event-ID and ends with FlowCompleted', async () => {
    const { events, flows } = server.parts;
    const flowId = await flows.start('prod', `key:${ownerId}`);
    const stage = (stageName: string) =>
      events.publish('FlowStageChanged', { stage: stageName, status: 'started' }, { environment: 'prod', flowId });
    const first = await stage('interview');

    const live = await follow(server.url, flowId, owner);
    expect(live.response.status).toBe(200);
    expect(live.response.headers.get('content-type')).toContain('text/event-stream');
    await stage('ideas');
    await events.publish('FlowCompleted', { outcome: 'succeeded' }, { environment: 'prod', flowId });
    const frames = await live.frames;
    expect(frames.map((frame) => frame.event)).toEqual(['FlowStageChanged', 'FlowStageChanged', 'FlowCompleted']);
    expect(frames[0]?.data).toMatchObject({ id: first.id, flow_id: flowId, payload: { stage: 'interview' } });
    const ids = frames.map((frame) => Number(frame.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const resumed = await follow(server.url, flowId, owner, frames[0]?.id);
    expect((await resumed.frames).map((frame) => frame.data.payload)).toEqual([
      { stage: 'ideas', status: 'started' },
      { outcome: 'succeeded' },
    ]);
  });

  it('events published for a request carry its X-Request-Id; handlers log with it and pass it on', async () => {
    const { events, logger } = server.parts;
    const relayed: Array<{ name: string; requestId: string | undefined }> = [];
    await events.subscribe('trace-test-first', 'FlowStageChanged', async (event) => {
      if (event.payload.stage !== 'traced') return;
      handlerLog(logger, event).info({ eventId: event.id }, 'trace test: first handler ran');
      // Published by the handler, outside any HTTP request: it passes the event's request id on.
      await events.publish(
        'FlowCompleted',
        { outcome: 'succeeded' },
        { environment: 'prod', flowId: 'trace-test', ...requestTrace(event.trace?.requestId) },
      );
    });
    await events.subscribe('trace-test-second', 'FlowCompleted', (event) => {
      if (event.flowId !== 'trace-test') return;
      relayed.push({ name: event.name, requestId: event.trace?.requestId });
      handlerLog(logger, event).info('trace test: second handler ran');
    });

    // What a route does: it passes its request's id (request.id, from X-Request-Id) with the publish.
    const published = await events.publish(
      'FlowStageChanged',
      { stage: 'traced', status: 'started' },
      { environment: 'prod', ...requestTrace('req-trace-0001') },
    );
    expect(published.trace).toEqual({ requestId: 'req-trace-0001' });
    await eventually(() => expect(relayed).toEqual([{ name: 'FlowCompleted', requestId: 'req-trace-0001' }]));
    const lines = server.logs.filter((line) => String(line.msg).startsWith('trace test:'));
    expect(lines.map((line) => [line.msg, line.reqId])).toEqual([
      ['trace test: first handler ran', 'req-trace-0001'],
      ['trace test: second handler ran', 'req-trace-0001'],
    ]);
    // Without one nothing is added, and no line gets a request id it does not have.
    const untraced = await events.publish(
      'FlowStageChanged',
      { stage: 'plain', status: 'started' },
      { environment: 'prod' },
    );
    expect(untraced.trace).toBeUndefined();
    handlerLog(logger, untraced).info('trace test: outside any request');
    expect(server.logs.find((line) => line.msg === 'trace test: outside any request')?.reqId).toBeUndefined();
  });

  it('stops following when the client goes away', async () => {
    const flowId = await server.parts.flows.start('prod', `key:${ownerId}`);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/events/flows/${flowId}`, {
      headers: { authorization: `Bearer ${owner}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(server.parts.flows.followers()).toBe(1);
    controller.abort();
    await eventually(() => expect(server.parts.flows.followers()).toBe(0));
  });

  it('answers 404 for another caller’s flow (and a missing one), 401 without credentials, 400 for a bad Last-Event-ID', async () => {
    const flowId = await server.parts.flows.start('prod', `key:${ownerId}`);
    for (const key of [stranger, devKey, admin]) {
      const { response } = await follow(server.url, flowId, key);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SY_ERR_NOT_FOUND');
    }
    expect((await follow(server.url, 'no-such-flow', owner)).response.status).toBe(404);
    expect((await follow(server.url, flowId, null)).response.status).toBe(401);
    const bad = await follow(server.url, flowId, owner, 'yesterday');
    expect(bad.response.status).toBe(400);
  });

  it('lists dead-lettered events for admins and replays them to their group', async () => {
    const { events } = server.parts;
    let fail = true;
    const handled: string[] = [];
    await events.subscribe('events-test', 'FlowCompleted', (event) => {
      if (fail) throw new Error('the downstream service is down');
      handled.push(event.id);
    });
    const dead = new Promise<void>((resolve) => {
      const stop = events.onActivity((activity) => {
        if (activity.type === 'dead' && activity.group === 'events-test') {
          stop();
          resolve();
        }
      });
    });
    const event = await events.publish('FlowCompleted', { outcome: 'failed' }, { environment: 'prod' });
    await dead;

    const headers = { authorization: `Bearer ${admin}` };
    const list = await fetch(`${server.url}/v1/admin/events/dead-letters?group=events-test`, { headers });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { backend: string; dead_letters: Array<Record<string, unknown>> };
    expect(body.backend).toBe('embedded');
    expect(body.dead_letters).toHaveLength(1);
    expect(body.dead_letters[0]).toMatchObject({
      group: 'events-test',
      attempts: 2,
      last_error: { message: 'the downstream service is down', code: null },
      event: { id: event.id, name: 'FlowCompleted', environment: 'prod' },
    });
    const user = await fetch(`${server.url}/v1/admin/events/dead-letters`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(user.status).toBe(403);

    fail = false;
    const replayedAndHandled = new Promise<void>((resolve) => {
      const stop = events.onActivity((activity) => {
        if (activity.type === 'handled' && activity.group === 'events-test') {
          stop();
          resolve();
        }
      });
    });
    const replay = await fetch(`${server.url}/v1/admin/events/dead-letters/${body.dead_letters[0]?.id}/replay`, {
      method: 'POST',
      headers,
    });
    expect(replay.status).toBe(200);
    await replayedAndHandled;
    expect(handled).toEqual([event.id]);
    const again = await fetch(`${server.url}/v1/admin/events/dead-letters/${body.dead_letters[0]?.id}/replay`, {
      method: 'POST',
      headers,
    });
    expect(again.status).toBe(404);
  });
});

const serverMode = await serverModeAvailable('events across API processes');
const hasAmqp = await amqpAvailable();
if (!hasAmqp) console.warn('[skip] events across API processes on RabbitMQ: no broker (set TEST_AMQP_URL)');

describe.skipIf(!serverMode || !hasAmqp)('events across processes (PostgreSQL, RabbitMQ)', () => {
  let environment: ServerModeEnvironment;
  let worker: TestServer;
  let api: TestServer;
  let eventsPrefix = '';

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    const variables = { ...environment.variables, EVENTS_URL: testAmqpUrl() };
    // Queues of this test's own, whatever else runs on the broker.
    eventsPrefix = uniqueAmqpPrefix();
    worker = await startTestServer({ variables, role: 'worker', eventsPrefix });
    api = await startTestServer({ variables, role: 'api', eventsPrefix });
  });
  afterAll(async () => {
    await api?.destroy();
    await worker?.destroy();
    await environment?.drop();
    await deleteAmqpTopology(testAmqpUrl(), {
      queues: [
        `${eventsPrefix}switchyard.dead-letters`,
        ...Object.keys(platformEvents).map((name) => `${eventsPrefix}${name}.${flowLogGroup}`),
      ],
      exchanges: [`${eventsPrefix}switchyard.events`, `${eventsPrefix}switchyard.events.dead-letter`],
    });
  });

  it('an API process that runs no consumers streams a flow whose events another process handles', async () => {
    expect(api.parts.events.backend).toBe('rabbitmq');
    const key = await api.createKey('dev', { name: `follower-${randomBytes(3).toString('hex')}` });
    const admin = await api.createKey('prod', { admin: true });
    const id = await keyIdOf(api, admin, key);
    const flowId = await api.parts.flows.start('dev', `key:${id}`);
    const live = await follow(api.url, flowId, key);
    expect(live.response.status).toBe(200);
    await worker.parts.events.publish(
      'FlowStageChanged',
      { stage: 'ranking', status: 'progress', progress: 0.5 },
      {
        environment: 'dev',
        flowId,
      },
    );
    await api.parts.events.publish('FlowCompleted', { outcome: 'succeeded' }, { environment: 'dev', flowId });
    expect((await live.frames).map((frame) => frame.event)).toEqual(['FlowStageChanged', 'FlowCompleted']);
  });
});
