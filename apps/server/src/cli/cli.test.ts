import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUsageRepository, openDatabase } from '@switchyard/db';
import { type FakeUpstreamServer, startFakeOpenAI } from '@switchyard/testkit';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { adminSocketPath, lockFileName } from '../infrastructure/data-dir-lock';
import { type CliResult, type CliServer, runCli, startCliServer } from '../testing/cli-process';
import { readJson } from '../testing/read-json';

const devKeyPattern = /^dev_[A-Za-z0-9_-]{43}$/;
const prodKeyPattern = /^prod_[A-Za-z0-9_-]{43}$/;
// The fake upstream answers "fake: <prompt>", one word per frame: 20 frames, 100 ms apart.
const slowPrompt = 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19';

interface Workspace {
  directory: string;
  dataDir: string;
  variables: Record<string, string>;
  cli(args: string[]): Promise<CliResult>;
  start(): Promise<CliServer>;
}

async function createWorkspace(
  config: Record<string, unknown>,
  extraVariables: Record<string, string> = {},
): Promise<Workspace> {
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  const dataDir = join(directory, 'data');
  const configPath = join(directory, 'switchyard.config.yaml');
  await writeFile(configPath, stringify(config));
  const variables = {
    PORT: '0',
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: dataDir,
    SWITCHYARD_CONFIG: configPath,
    LOG_LEVEL: 'info',
    ...extraVariables,
  };
  return {
    directory,
    dataDir,
    variables,
    cli: (args) => runCli(args, { cwd: directory, variables, timeoutMs: 90_000 }),
    start: () => startCliServer(['start'], { cwd: directory, variables, timeoutMs: 120_000 }),
  };
}

function chat(url: string, key: string, body: Record<string, unknown> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
}

/** The id the CLI reports on stderr after creating a key. */
function createdKeyId(result: CliResult): string {
  const match = /\(id ([0-9a-f-]{36})/.exec(result.stderr);
  if (!match?.[1]) throw new Error(`no key id in: ${result.stderr}`);
  return match[1];
}

function describeResult(result: CliResult): string {
  return `exit ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}; stderr: ${result.stderr}`;
}

// Each test spawns the CLI a few times, and each run starts a Node.js process: ~1 s on a quiet machine,
// 10 s and more at a load average of 14, where three runs outlasted the default 30 s.
describe('switchyard CLI against a running embedded server', { timeout: 120_000 }, () => {
  let fakeUpstream: FakeUpstreamServer;
  let heldUpstream: FakeUpstreamServer;
  let workspace: Workspace;
  let server: CliServer;

  beforeAll(async () => {
    fakeUpstream = await startFakeOpenAI({ chunkDelayMs: 100, streamChunks: 20 });
    heldUpstream = await startFakeOpenAI();
    workspace = await createWorkspace(
      {
        ollama: { autodetect: false },
        providers: [
          { id: 'slow-upstream', type: 'openai-compatible', baseURL: fakeUpstream.url },
          { id: 'held-upstream', type: 'openai-compatible', baseURL: heldUpstream.url },
        ],
        models: [
          { id: 'slow', provider: 'slow-upstream', upstreamModel: 'gpt-4o-mini' },
          { id: 'held', provider: 'held-upstream', upstreamModel: 'gpt-4o-mini' },
        ],
      },
      // Far longer than the test: the second SIGTERM ends the drain delay, so no timer decides the outcome.
      { SHUTDOWN_DRAIN_DELAY_SECONDS: '600' },
    );
    server = await workspace.start();
  }, 120_000);

  afterAll(async () => {
    await server?.kill();
    await fakeUpstream?.close();
    await heldUpstream?.close();
    if (workspace) await rm(workspace.directory, { recursive: true, force: true });
  });

  it('start on a fresh data dir becomes healthy and logs where it listens', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const listening = server.logs.find((entry) => String(entry.msg).startsWith('Switchyard listening on'));
    expect(listening).toMatchObject({ url: server.url, mode: 'embedded', dataDir: workspace.dataDir });
    expect(listening?.msg).toContain(server.url);

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await readJson(health)).toEqual({ status: 'ok' });

    const lock = JSON.parse(await readFile(join(workspace.dataDir, lockFileName), 'utf8'));
    expect(lock).toMatchObject({ pid: server.child.pid, role: 'server' });
  });

  it('keys create prints only the key, and the key works at once', async () => {
    const dev = await workspace.cli(['keys', 'create', '--env', 'dev', '--name', 'demo']);
    expect(dev.code, describeResult(dev)).toBe(0);
    const devLines = dev.stdout.split('\n');
    expect(devLines).toHaveLength(2);
    expect(devLines[1]).toBe('');
    const devKey = devLines[0] ?? '';
    expect(devKey).toMatch(devKeyPattern);
    expect(dev.stderr).not.toContain(devKey);

    const answer = await chat(server.url, devKey);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-environment')).toBe('dev');
    expect((await readJson(answer)).choices[0].message.content).toBe('hello there');

    const admin = await workspace.cli(['keys', 'create', '--env', 'prod', '--name', 'ops', '--admin']);
    expect(admin.code, describeResult(admin)).toBe(0);
    const adminKey = admin.stdout.trim();
    expect(admin.stdout).toBe(`${adminKey}\n`);
    expect(adminKey).toMatch(prodKeyPattern);
    const settings = await fetch(`${server.url}/v1/admin/settings`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(settings.status).toBe(200);
    expect(settings.headers.get('x-environment')).toBe('prod');
    const keys = (await readJson(settings)).settings.map((setting: { key: string }) => setting.key);
    expect(keys).toContain('rate_limit.chat.prod');

    // A key without --admin must not reach the admin API.
    const forbidden = await fetch(`${server.url}/v1/admin/settings`, {
      headers: { authorization: `Bearer ${devKey}` },
    });
    expect(forbidden.status).toBe(403);
  });

  it('keys list shows ids and prefixes but never a full key; --json is parseable', async () => {
    const created = await workspace.cli(['keys', 'create', '--env', 'dev', '--name', 'listed']);
    expect(created.code, describeResult(created)).toBe(0);
    const key = created.stdout.trim();
    const id = createdKeyId(created);

    const table = await workspace.cli(['keys', 'list']);
    expect(table.code, describeResult(table)).toBe(0);
    const row = table.stdout.split('\n').find((line) => line.startsWith(id));
    expect(row).toBeDefined();
    expect(row).toContain('listed');
    expect(table.stdout).not.toContain(key);

    const json = await workspace.cli(['keys', 'list', '--json']);
    expect(json.code, describeResult(json)).toBe(0);
    expect(json.stdout).not.toContain(key);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    const entry = listed.find((candidate) => candidate.id === id);
    expect(entry).toMatchObject({ name: 'listed', environment: 'dev', admin: false, revokedAt: null });
    const prefix = String(entry?.prefix);
    expect(prefix.startsWith('dev_')).toBe(true);
    expect(key.startsWith(prefix)).toBe(true);
    expect(prefix.length).toBeLessThan(key.length);
    expect(row).toContain(prefix);
  });

  it('keys revoke makes the next request with that key fail with SY_ERR_API_KEY_REVOKED', async () => {
    const created = await workspace.cli(['keys', 'create', '--env', 'dev', '--name', 'short-lived']);
    expect(created.code, describeResult(created)).toBe(0);
    const key = created.stdout.trim();
    expect((await chat(server.url, key)).status).toBe(200);

    const revoked = await workspace.cli(['keys', 'revoke', createdKeyId(created)]);
    expect(revoked.code, describeResult(revoked)).toBe(0);
    expect(revoked.stderr).toContain('short-lived');

    const rejected = await chat(server.url, key);
    expect(rejected.status).toBe(401);
    expect((await readJson(rejected)).error.code).toBe('SY_ERR_API_KEY_REVOKED');

    const withRevoked = await workspace.cli(['keys', 'list', '--all', '--json']);
    const entry = (JSON.parse(withRevoked.stdout) as Array<Record<string, unknown>>).find(
      (candidate) => candidate.id === createdKeyId(created),
    );
    expect(entry?.revokedAt).toEqual(expect.any(String));
  });

  it('a second start on the same data dir fails clearly and leaves the first server alone', async () => {
    const second = await workspace.cli(['start']);
    expect(second.timedOut).toBe(false);
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stderr).toContain('already using the data directory');
    expect(second.stderr).toContain(workspace.dataDir);
    expect(second.stderr).toContain(`pid ${server.child.pid}`);

    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const lock = JSON.parse(await readFile(join(workspace.dataDir, lockFileName), 'utf8'));
    expect(lock.pid).toBe(server.child.pid);
    // The CLI still reaches the first server through its admin socket.
    const list = await workspace.cli(['keys', 'list', '--json']);
    expect(list.code, describeResult(list)).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'demo' })]));
  });

  it('a usage error exits 2 and names the problem and where the help is, not the whole usage', async () => {
    const missingEnvironment = await workspace.cli(['keys', 'create', '--name', 'no-env']);
    expect(missingEnvironment.code).toBe(2);
    expect(missingEnvironment.stdout).toBe('');
    expect(missingEnvironment.stderr).toContain('--env');
    expect(missingEnvironment.stderr).toContain("Run 'switchyard keys --help' for usage.");
    expect(missingEnvironment.stderr).not.toContain('Commands:');

    const unknown = await workspace.cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(unknown.stderr).toContain("Run 'switchyard --help' for usage.");

    const unknownFlag = await workspace.cli(['keys', 'list', '--colour']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain('--colour');
  });

  it('models list asks the running server: what GET /v1/models of that environment lists, with kinds', async () => {
    const listed = await workspace.cli(['models', 'list', '--env', 'dev', '--json']);
    expect(listed.code, describeResult(listed)).toBe(0);
    const models = JSON.parse(listed.stdout) as Array<{ id: string; kind: string }>;
    const key = (await workspace.cli(['keys', 'create', '--env', 'dev', '--name', 'models'])).stdout.trim();
    const served = await readJson(
      await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(models.map((model) => [model.id, model.kind])).toEqual(
      served.data.map((model: { id: string; kind: string }) => [model.id, model.kind]),
    );
    expect(models.map((model) => model.id)).toContain('echo');
    const table = await workspace.cli(['models', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^MODEL\s+KIND\s+PROVIDER$/);
  });

  it('on SIGTERM keeps serving through the drain delay with /ready at 503, then refuses new connections, finishes the in-flight request and stream, flushes usage rows and exits 0', async () => {
    const created = await workspace.cli(['keys', 'create', '--env', 'prod', '--name', 'drain']);
    expect(created.code, describeResult(created)).toBe(0);
    const key = created.stdout.trim();
    const keyId = createdKeyId(created);
    for (let index = 0; index < 3; index += 1) expect((await chat(server.url, key)).status).toBe(200);

    // In flight at SIGTERM: a request its upstream holds until the test lets go ...
    let release = () => {};
    heldUpstream.setBehaviour({ kind: 'hold', until: new Promise<void>((resolve) => (release = resolve)) });
    const held = rawRequest(server.url, 'POST', '/v1/chat/completions', key, {
      model: 'held',
      messages: [{ role: 'user', content: 'held across the drain' }],
    });
    await vi.waitFor(() => expect(heldUpstream.requests).toHaveLength(1), { timeout: 30_000, interval: 20 });

    // ... and a stream, through a client that keeps idle connections for long, as a reverse proxy does:
    // shutdown must not wait for it.
    const patientClient = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    const response = await undiciFetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: slowPrompt }] }),
      dispatcher: patientClient,
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    if (!reader) throw new Error('no response body');
    const decoder = new TextDecoder();
    let text = '';
    const first = await reader.read();
    text += decoder.decode(first.value, { stream: true });
    expect(text).not.toContain('[DONE]');

    server.child.kill('SIGTERM');
    await vi.waitFor(() => expect(server.logs.some((entry) => String(entry.msg).startsWith('draining:'))).toBe(true), {
      timeout: 30_000,
      interval: 20,
    });
    // The drain delay: out of rotation for a proxy's health check, yet a request still gets its answer
    // (telling the client to close its connection, so no kept-alive one is left to cut).
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await readJson(ready)).toMatchObject({ status: 'draining' });
    const during = await rawRequest(server.url, 'POST', '/v1/chat/completions', key, {
      model: 'echo',
      messages: [{ role: 'user', content: 'while draining' }],
    });
    expect(during.status).toBe(200);
    expect(during.headers.connection).toBe('close');
    expect(JSON.parse(during.body).choices[0].message.content).toContain('while draining');

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const content = text
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice('data: '.length)).choices[0]?.delta?.content ?? '')
      .join('');
    expect(content).toBe(`fake: ${slowPrompt}`);

    // A second signal ends the drain delay: the listener closes while the held request is still in flight.
    server.child.kill('SIGTERM');
    await vi.waitFor(async () => expect(await connectionError(server.url)).toBe('ECONNREFUSED'), {
      timeout: 30_000,
      interval: 20,
    });
    // The log line comes through the child's stdout, which can arrive after the refused connection.
    await vi.waitFor(
      () => expect(server.logs.some((entry) => String(entry.msg).startsWith('stopped accepting'))).toBe(true),
      { timeout: 30_000, interval: 20 },
    );
    expect(server.child.exitCode).toBeNull();

    release();
    const heldAnswer = await held;
    expect(heldAnswer.status).toBe(200);
    expect(heldAnswer.headers.connection).toBe('close');
    expect(JSON.parse(heldAnswer.body).choices[0].message.content).toBe('fake: held across the drain');

    const exit = await server.exited;
    await patientClient.close();
    expect(exit, server.stderr()).toEqual({ code: 0, signal: null });
    expect(server.logs.some((entry) => entry.msg === 'Switchyard stopped')).toBe(true);
    // The stream's connection was closed once idle, not cut by the shutdown timeout.
    expect(server.logs.some((entry) => String(entry.msg).includes('did not finish in time'))).toBe(false);
    expect(existsSync(join(workspace.dataDir, lockFileName))).toBe(false);
    expect(existsSync(adminSocketPath(workspace.dataDir))).toBe(false);

    const prod = await openDatabase({ kind: 'pglite', dataDir: join(workspace.dataDir, 'prod') });
    try {
      const rows = await createUsageRepository(prod.db).list({ apiKeyId: keyId });
      expect(rows).toHaveLength(6);
      expect(rows.every((row) => row.environment === 'prod' && row.status === 200)).toBe(true);
      expect(rows.filter((row) => row.model === 'slow')).toHaveLength(1);
      expect(rows.filter((row) => row.model === 'held')).toHaveLength(1);
      expect(rows.filter((row) => row.model === 'echo')).toHaveLength(4);
    } finally {
      await prod.close();
    }
  }, 90_000);
});

describe('switchyard start stopping while its event loop is blocked', () => {
  let workspace: Workspace;
  let server: CliServer;

  beforeAll(async () => {
    workspace = await createWorkspace({ ollama: { autodetect: false } }, { SHUTDOWN_DRAIN_DELAY_SECONDS: '0' });
    server = await workspace.start();
  }, 120_000);

  afterAll(async () => {
    // SIGKILL ends the process even while a failed test left it stopped.
    await server?.kill();
    if (workspace) await rm(workspace.directory, { recursive: true, force: true });
  });

  it('answers every request that reached the kernel before SIGTERM (accept backlog, unread sockets) instead of resetting it', async () => {
    const created = await workspace.cli(['keys', 'create', '--env', 'prod', '--name', 'backlog']);
    expect(created.code, describeResult(created)).toBe(0);
    const key = created.stdout.trim();
    const keyId = createdKeyId(created);
    expect((await chat(server.url, key)).status).toBe(200);

    // A stopped process is the extreme of a busy event loop (embedded mode runs PGlite on it): the kernel
    // completes each handshake and buffers each request, and nothing is accepted or read until it runs.
    server.child.kill('SIGSTOP');
    const pending = await Promise.all(Array.from({ length: 12 }, (_, index) => sendRawChat(server.url, key, index)));
    server.child.kill('SIGTERM');
    server.child.kill('SIGCONT');

    const outcomes = await Promise.all(pending.map((request) => request.outcome));
    // Each was sent before the signal: it ran (200) or was refused cleanly (503 SY_ERR_SHUTTING_DOWN), never reset.
    const failed = outcomes.filter(
      (outcome) =>
        outcome.error !== '' ||
        !(outcome.status === 200 || (outcome.status === 503 && errorCode(outcome.body) === 'SY_ERR_SHUTTING_DOWN')),
    );
    expect(failed).toEqual([]);
    const exit = await server.exited;
    expect(exit, server.stderr()).toEqual({ code: 0, signal: null });

    const prod = await openDatabase({ kind: 'pglite', dataDir: join(workspace.dataDir, 'prod') });
    try {
      const rows = await createUsageRepository(prod.db).list({ apiKeyId: keyId });
      const answered = outcomes.filter((outcome) => outcome.status === 200).length;
      expect(rows.filter((row) => row.status === 200)).toHaveLength(1 + answered);
      expect(rows.filter((row) => row.status === 503)).toHaveLength(outcomes.length - answered);
    } finally {
      await prod.close();
    }
  }, 90_000);
});

interface RawOutcome {
  status: number;
  body: string;
  /** The socket error ('ECONNRESET', …), or '' when the answer arrived whole. */
  error: string;
}

/**
 * A chat request written on a fresh TCP connection (no client library in between): resolves once the
 * kernel has taken the whole request, with the outcome to come. Works against a stopped process too.
 */
function sendRawChat(url: string, key: string, index: number): Promise<{ outcome: Promise<RawOutcome> }> {
  const { hostname, port } = new URL(url);
  const payload = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: `backlog ${index}` }] });
  const head = [
    'POST /v1/chat/completions HTTP/1.1',
    `host: ${hostname}:${port}`,
    `authorization: Bearer ${key}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(payload)}`,
    'connection: close',
  ].join('\r\n');
  return new Promise((resolveSent, rejectSent) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let error = '';
    socket.setEncoding('utf8');
    socket.on('data', (piece: string) => {
      text += piece;
    });
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error = failure.code ?? failure.message;
      rejectSent(failure);
    });
    const outcome = new Promise<RawOutcome>((resolve) => {
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        const body = text.slice(text.indexOf('\r\n\r\n') + 4);
        resolve({ status, body, error: error || (status === 0 ? 'closed without an answer' : '') });
      });
    });
    socket.once('connect', () => socket.write(`${head}\r\n\r\n${payload}`, () => resolveSent({ outcome })));
  });
}

function errorCode(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '');
  } catch {
    return '';
  }
}

/** One request on its own connection (node:http, no pooling): the status, headers as sent, and body. */
function rawRequest(
  url: string,
  method: string,
  path: string,
  key: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${url}${path}`,
      {
        method,
        agent: new HttpAgent({ keepAlive: true }),
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (piece: string) => {
          text += piece;
        });
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: text }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** The error code of opening a TCP connection to the server's port ('' when it was accepted). */
function connectionError(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('switchyard CLI help and flags', () => {
  let workspace: Workspace;

  beforeAll(async () => {
    workspace = await createWorkspace({
      ollama: { autodetect: false },
      models: [{ id: 'embedder', provider: 'fake', upstreamModel: 'e', kind: 'embedding', environments: ['dev'] }],
      providers: [{ id: 'fake', type: 'openai-compatible', baseURL: 'http://127.0.0.1:9' }],
    });
  });

  afterAll(async () => {
    if (workspace) await rm(workspace.directory, { recursive: true, force: true });
  });

  it.each(['start', 'api', 'worker', 'migrate', 'keys', 'admin', 'models'])(
    "%s --help prints that command's help and has no side effects",
    async (command) => {
      const result = await workspace.cli([command, '--help']);
      expect(result.code, describeResult(result)).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage:[\\s\\S]*switchyard ${command}`));
      // Nothing was started, migrated or created.
      expect(existsSync(workspace.dataDir)).toBe(false);
    },
  );

  it('prints the version with -v, --version and version', async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    for (const flag of ['-v', '--version', 'version']) {
      const result = await workspace.cli([flag]);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it('refuses a bad --port without starting anything', async () => {
    const result = await workspace.cli(['start', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--port must be a port number (0-65535); got 'eighty'");
    expect(existsSync(workspace.dataDir)).toBe(false);
  });

  it('models list without a running server reads the config file (--config and --data-dir as flags)', async () => {
    const elsewhere = join(workspace.directory, 'other-data');
    const result = await runCli(
      [
        'models',
        'list',
        '--env',
        'dev',
        '--json',
        '--config',
        join(workspace.directory, 'switchyard.config.yaml'),
        '--data-dir',
        elsewhere,
      ],
      {
        cwd: tmpdir(),
        variables: { LOG_LEVEL: 'warn' },
      },
    );
    expect(result.code, describeResult(result)).toBe(0);
    expect(result.stderr).toContain('No embedded server is running');
    const dev = JSON.parse(result.stdout) as Array<{ id: string; kind: string; owned_by: string }>;
    expect(dev).toEqual(
      expect.arrayContaining([
        { id: 'embedder', kind: 'embedding', owned_by: 'fake' },
        { id: 'echo', kind: 'chat', owned_by: 'echo' },
      ]),
    );
    const prod = await runCli(
      ['models', 'list', '--json', '--config', join(workspace.directory, 'switchyard.config.yaml')],
      {
        cwd: tmpdir(),
        variables: { LOG_LEVEL: 'warn', SWITCHYARD_DATA_DIR: elsewhere },
      },
    );
    // The embedder is offered in dev only.
    expect(JSON.parse(prod.stdout).map((model: { id: string }) => model.id)).toEqual(['echo']);
  });
});

describe('switchyard CLI with no server running', () => {
  let workspace: Workspace;
  let server: CliServer | undefined;

  beforeAll(async () => {
    workspace = await createWorkspace({ ollama: { autodetect: false } });
  });

  afterAll(async () => {
    await server?.kill();
    if (workspace) await rm(workspace.directory, { recursive: true, force: true });
  });

  it('creates a key directly on the data dir, migrates, and a server started later accepts the key', async () => {
    const created = await workspace.cli(['keys', 'create', '--env', 'prod', '--name', 'offline']);
    expect(created.code, describeResult(created)).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toBe(`${key}\n`);
    expect(key).toMatch(prodKeyPattern);
    // The CLI held the data dir only while it ran.
    expect(existsSync(join(workspace.dataDir, lockFileName))).toBe(false);

    const migrated = await workspace.cli(['migrate']);
    expect(migrated.code, describeResult(migrated)).toBe(0);
    expect(migrated.stderr).toContain('Migrations applied');
    expect(existsSync(join(workspace.dataDir, 'dev'))).toBe(true);

    server = await workspace.start();
    const answer = await chat(server.url, key);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-environment')).toBe('prod');

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
