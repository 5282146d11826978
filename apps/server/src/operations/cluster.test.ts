import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestPostgresDatabase,
  eventually,
  probePostgres,
  redisAvailable,
  testRedisUrl,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { runCli, startCliServer } from '../testing/cli-process';

const postgres = await probePostgres();
const hasRedis = await redisAvailable();
if (!postgres.available || !hasRedis) {
  console.warn('[skip] switchyard api --workers: needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)');
}

function childPids(parent: number): number[] {
  try {
    // Only the API workers: tsx's esbuild service is a child process too.
    return execFileSync('pgrep', ['-P', String(parent), '-f', 'switchyard.js'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Sums a Prometheus metric's samples whose line contains `labelFilter`. */
function sumSeries(text: string, metric: string, labelFilter = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) || !line.includes(labelFilter)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe.skipIf(!postgres.available || !hasRedis)('switchyard api --workers', () => {
  it('runs N worker processes on one port and drains them all on SIGTERM', async () => {
    const prod = await createTestPostgresDatabase();
    const dev = await createTestPostgresDatabase();
    const directory = await mkdtemp(join(tmpdir(), 'switchyard-cluster-'));
    await writeFile(join(directory, 'switchyard.config.yaml'), 'ollama: { autodetect: false }\n');
    const variables = {
      PORT: '0',
      HOST: '127.0.0.1',
      SWITCHYARD_DATA_DIR: join(directory, 'data'),
      DATABASE_URL: prod?.url ?? '',
      DEV_DATABASE_URL: dev?.url ?? '',
      REDIS_URL: testRedisUrl(),
      AUTH_SECRET: 'cluster-test-session-signing-secret-0123456789',
    };
    const server = await startCliServer(['api', '--workers', '2'], { cwd: directory, variables });
    try {
      const primary = server.child.pid ?? 0;
      const workers = await eventually(
        () => {
          const pids = childPids(primary);
          expect(pids).toHaveLength(2);
          return pids;
        },
        { safetyMs: 30_000, intervalMs: 100 },
      );
      // Both workers serve: a key created once works whichever worker answers.
      const created = await runCli(['keys', 'create', '--env', 'dev', '--name', 'cluster'], {
        cwd: directory,
        variables,
      });
      // A worker that has not heard of the key yet reloads on the miss, so no pause is needed here.
      const key = created.stdout.trim();
      // Every test request comes from 127.0.0.1, and the per-IP counter lives in the shared test Redis:
      // raise the per-IP limit (rate_limit.ip.per_minute, 20 by default) as the other test servers do.
      const admin = await runCli(['keys', 'create', '--env', 'prod', '--name', 'cluster admin', '--admin'], {
        cwd: directory,
        variables,
      });
      const raised = await fetch(`${server.url}/v1/admin/settings/rate_limit.ip.per_minute`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.stdout.trim()}` },
        body: JSON.stringify({ value: 10_000_000 }),
      });
      expect(raised.status).toBe(200);
      for (let index = 0; index < 10; index += 1) {
        const response = await fetch(`${server.url}/v1/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, connection: 'close' },
          body: JSON.stringify({ model: 'echo', message: `hello ${index}` }),
        });
        expect(response.status).toBe(200);
      }
      // /metrics is the whole cluster's, whichever worker the scrape lands on: all 10 chats counted.
      for (let scrape = 0; scrape < 4; scrape += 1) {
        await eventually(
          async () => {
            const text = await (await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } })).text();
            expect({
              chats: sumSeries(text, 'switchyard_http_requests_total', 'route="/v1/chat"'),
              residentProcesses: sumSeries(text, 'switchyard_api_worker_up'),
            }).toEqual({ chats: 10, residentProcesses: 2 });
          },
          { intervalMs: 100 },
        );
      }
      server.child.kill('SIGTERM');
      const exit = await server.exited;
      expect(exit.code).toBe(0);
      expect(workers.filter((pid) => childPids(primary).includes(pid))).toEqual([]);
    } finally {
      await server.kill();
      await prod?.drop();
      await dev?.drop();
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses --workers in embedded mode with a clear message', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'switchyard-cluster-'));
    try {
      const result = await runCli(['api', '--workers', '2'], {
        cwd: directory,
        variables: { SWITCHYARD_DATA_DIR: join(directory, 'data'), PORT: '0' },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--workers needs server mode/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
