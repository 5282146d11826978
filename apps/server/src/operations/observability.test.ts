import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashApiKey } from '@switchyard/core';
import { type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

// One server with tracing on (to an in-test OTLP/HTTP receiver), the access log on and a log file:
// what operators read (metrics, log lines, spans) checked from the outside.

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** An OTLP/HTTP traces endpoint: decodes each JSON export request into its spans. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      expect(request.url).toBe('/v1/traces');
      expect(request.headers['content-type']).toContain('application/json');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: ReceivedSpan[] }> }>;
      };
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

const attribute = (span: ReceivedSpan, key: string) => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

let upstream: FakeUpstreamServer;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let server: TestServer;
let key: string;
let keyId: string;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ reply: () => 'traced answer' });
  receiver = await startOtlpReceiver();
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'up', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'traced', provider: 'up', upstreamModel: 'gpt-4o-mini' }],
      routing: { maxAttempts: 1 },
    },
    variables: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    },
  });
  key = await server.createKey('dev', { name: 'observed' });
  keyId = server.parts.keys.findByHash(hashApiKey(key))?.id ?? 'missing';
}, 60_000);

afterAll(async () => {
  await server?.destroy();
  await upstream?.close();
  receiver?.server.close();
});

async function chat(headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'traced', messages: [{ role: 'user', content: 'hello' }] }),
  });
}

/**
 * A request through node:http, not fetch: this process is the server too, and its undici
 * instrumentation would give fetch a traceparent of its own in place of the one a test sends.
 */
function post(path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    });
    outgoing.on('response', (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify(body));
  });
}

async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('X-Request-Id', () => {
  it('echoes a valid id the client sent, and the access log line carries it with the key id, never the key', async () => {
    const response = await chat({ 'x-request-id': 'client-id-0001' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-id-0001');
    const line = await until(
      () => server.logs.find((entry) => entry.msg === 'request' && entry.reqId === 'client-id-0001'),
      (found) => found !== undefined,
    );
    expect(line).toMatchObject({
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      environment: 'dev',
      keyId,
      model: 'traced',
    });
    expect(typeof line?.durationMs).toBe('number');
    expect(JSON.stringify(server.logs)).not.toContain(key);
  });

  it('replaces an id with unsafe characters or too long, and makes one when absent', async () => {
    for (const sent of ['bad id with spaces', 'x'.repeat(129), undefined]) {
      const response = await chat(sent === undefined ? {} : { 'x-request-id': sent });
      const echoed = response.headers.get('x-request-id') ?? '';
      expect(echoed).not.toBe(sent);
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('is carried into the log lines of a job the request enqueued', async () => {
    const response = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'job-req-42' },
      body: JSON.stringify({ model: 'traced', message: 'later', async: true }),
    });
    expect(response.status).toBe(202);
    const line = await until(
      () => server.logs.find((entry) => entry.msg === 'job attempt completed' && entry.reqId === 'job-req-42'),
      (found) => found !== undefined,
    );
    expect(line).toMatchObject({ job: 'chat.complete', attempt: 1 });
  });
});

describe('access log', () => {
  it('logs error answers with their SY_ERR_* code and counts them in switchyard_errors_total', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev_not-a-real-key-000000000000', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'traced', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(401);
    const requestId = response.headers.get('x-request-id');
    const line = server.logs.find((entry) => entry.msg === 'request' && entry.reqId === requestId);
    expect(line).toMatchObject({ status: 401, code: 'SY_ERR_INVALID_API_KEY', keyId: null });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_errors_total\{environment="[a-z]+",code="SY_ERR_INVALID_API_KEY"\} [1-9]/);
  });
});

describe('traces over OTLP/HTTP', () => {
  it("exports the HTTP server span (child of the caller's traceparent) and its upstream call in one trace", async () => {
    const parentTrace = '0af7651916cd43dd8448eb211c80319c';
    const response = await post(
      '/v1/chat/completions',
      { model: 'traced', messages: [{ role: 'user', content: 'hello' }] },
      { traceparent: `00-${parentTrace}-b7ad6b7169203331-01` },
    );
    expect(response.status).toBe(200);
    const spans = await until(
      () => receiver.spans.filter((span) => span.traceId === parentTrace),
      (found) => found.some((span) => span.kind === 3) && found.some((span) => span.kind === 2),
    );
    const serverSpan = spans.find((span) => span.kind === 2);
    expect(serverSpan?.name).toBe('POST /v1/chat/completions');
    expect(serverSpan?.parentSpanId).toBe('b7ad6b7169203331');
    expect(attribute(serverSpan as ReceivedSpan, 'http.response.status_code')).toBe(200);
    expect(attribute(serverSpan as ReceivedSpan, 'switchyard.environment')).toBe('dev');
    const upstreamSpan = spans.find((span) => span.kind === 3 && attribute(span, 'url.full') !== undefined);
    expect(String(attribute(upstreamSpan as ReceivedSpan, 'url.full'))).toContain(upstream.url);
    expect(upstreamSpan?.parentSpanId).toBe(serverSpan?.spanId);
  });

  it('a job enqueued by a request runs in a span of the same trace', async () => {
    const parentTrace = '1bf7651916cd43dd8448eb211c80319d';
    const response = await post(
      '/v1/chat',
      { model: 'traced', message: 'traced later', async: true },
      { traceparent: `00-${parentTrace}-c7ad6b7169203332-01` },
    );
    expect(response.status).toBe(202);
    const spans = await until(
      () => receiver.spans.filter((span) => span.traceId === parentTrace),
      (found) => found.some((span) => span.name === 'job chat.complete'),
    );
    const job = spans.find((span) => span.name === 'job chat.complete');
    expect(attribute(job as ReceivedSpan, 'switchyard.job.attempt')).toBe(1);
    // The job's database statements are its children.
    expect(spans.some((span) => attribute(span, 'db.system.name') === 'postgresql')).toBe(true);
  });
});

describe('metrics', () => {
  it('exports build info, dependency, pool, disk, connection and queue gauges with single-prefixed process metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /^switchyard_build_info\{version="[^"]+",node_version="[^"]+",mode="embedded",role="all"\} 1$/m,
    );
    expect(text).toMatch(/^switchyard_process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^switchyard_process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^switchyard_nodejs_heap_size_used_bytes \d/m);
    expect(text).not.toContain('switchyard_process_process_');
    expect(text).not.toContain('switchyard_process_nodejs_');
    expect(text).toMatch(/^switchyard_dependency_up\{dependency="database_prod"\} 1$/m);
    expect(text).toMatch(/^switchyard_disk_free_bytes \d+/m);
    expect(text).toMatch(/^switchyard_http_active_connections [1-9]/m);
    expect(text).toMatch(/^switchyard_queue_depth\{queue="chat.complete"\} \d+$/m);
  });

  it('counts an open event stream while it is open', async () => {
    // The upstream holds its answer, so the job stays active and its event stream open until released.
    let release = () => {};
    upstream.setBehaviour({ kind: 'hold', until: new Promise<void>((resolve) => (release = resolve)) });
    const job = (await readJson(
      await fetch(`${server.url}/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'traced', message: 'stream me', async: true }),
      }),
    )) as Json;
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/v1/chat/jobs/${job.id}/events`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    release();
    upstream.setBehaviour({ kind: 'ok' });
    await stream.text();
    controller.abort();
    expect(text).toMatch(/switchyard_http_open_streams\{route="\/v1\/chat\/jobs\/:id\/events"\} 1/);
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(after).not.toMatch(/switchyard_http_open_streams\{route="\/v1\/chat\/jobs\/:id\/events"\} 1/);
  });
});
