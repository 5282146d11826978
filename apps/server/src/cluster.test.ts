import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPostgresDatabase, probePostgres, redisAvailable, testRedisUrl } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { runCli, startCliServer } from './testing/cli-process';

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
      let workers: number[] = [];
      for (let wait = 0; wait < 100 && workers.length < 2; wait += 1) {
        workers = childPids(primary);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(workers).toHaveLength(2);
      // Both workers serve: a key created once works whichever worker answers.
      const created = await runCli(['keys', 'create', '--env', 'dev', '--name', 'cluster'], {
        cwd: directory,
        variables,
      });
      const key = created.stdout.trim();
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let index = 0; index < 10; index += 1) {
        const response = await fetch(`${server.url}/v1/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, connection: 'close' },
          body: JSON.stringify({ model: 'echo', message: `hello ${index}` }),
        });
        expect(response.status).toBe(200);
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
