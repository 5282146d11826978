import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerModeEnvironment, type ServerModeEnvironment, serverModeAvailable } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { currentBundle } from '../../apps/server/bin/current-bundle.js';
import {
  alive,
  type CaddyProxy,
  freePort,
  hasCommand,
  runAsync,
  runRollingDeploy,
  startCaddy,
  startLoad,
} from './roll-harness';

// deploy.sh's roll with real Switchyard: two `switchyard api` processes in server mode (PostgreSQL and
// Redis) behind Caddy with the stacks' Caddyfile, replaced one at a time by rolling-deploy.mjs while the
// test sends chat requests through Caddy. Each process drains as in production (SIGTERM: /ready 503 for
// the drain delay while still serving, then the listener closes and in-flight requests finish).

const bundle = currentBundle();
const serverMode = await serverModeAvailable('rolling deploy of real Switchyard processes');

/** Longer than Caddy's health_interval (500 ms) plus a check's answer on a loaded machine. */
const drainDelaySeconds = 2;

/** Until the process on `port` answers /ready with 200; fails when it exits first or after two minutes. */
async function waitReady(port: number, pid: number): Promise<void> {
  // A start takes ~2 s on a quiet machine, and over 20 s at a load average of 30 on two cores.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (!alive(pid))
      throw new Error(`switchyard api on ${port} exited while starting; see its log in the test directory`);
    if (Date.now() > deadline) throw new Error(`switchyard api on ${port} was not ready within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('rolling deploy of real Switchyard processes behind Caddy', () => {
  it('replaces both API processes one at a time under load with zero failed requests', {
    timeout: 400_000,
  }, async (context) => {
    if (!hasCommand('caddy')) return context.skip('caddy is not installed');
    if (!serverMode)
      return context.skip('server mode needs TEST_DATABASE_URL and TEST_REDIS_URL (see the warning above)');
    // A start from the bundle takes a few seconds; from the TypeScript source through tsx, far longer.
    if (!bundle) return context.skip('apps/server/dist is missing or stale: run npm run build -w @switchyard/server');

    const directory = mkdtempSync(join(tmpdir(), 'switchyard-roll-real-'));
    let environment: ServerModeEnvironment | undefined;
    let proxy: CaddyProxy | undefined;
    const [port1, port2] = await Promise.all([freePort(), freePort()]);
    const pidFile = (port: number) => join(directory, `${port}.pid`);
    const pidOf = (port: number) => Number(readFileSync(pidFile(port), 'utf8'));
    try {
      environment = await createServerModeEnvironment();
      const configPath = join(directory, 'switchyard.config.yaml');
      writeFileSync(configPath, stringify({ ollama: { autodetect: false } }));
      const variables: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...environment.variables,
        HOST: '127.0.0.1',
        SWITCHYARD_CONFIG: configPath,
        SWITCHYARD_DATA_DIR: join(directory, 'data'),
        // Every API process signs sessions with the same secret, as the stacks' file secret provides.
        AUTH_SECRET: 'rolling-deploy-test-secret-that-is-long-enough-0123456789',
        SHUTDOWN_DRAIN_DELAY_SECONDS: String(drainDelaySeconds),
        LOG_LEVEL: 'info',
      };
      const cli = (args: string[]) => runAsync(process.execPath, [bundle, ...args], 60_000, variables);
      const migrated = await cli(['migrate']);
      expect(migrated.status, migrated.stderr).toBe(0);
      const created = await cli(['keys', 'create', '--env', 'prod', '--name', 'roll', '--admin']);
      expect(created.status, created.stderr).toBe(0);
      const key = created.stdout.trim();

      // What docker compose does for deploy.sh: stop the old container (SIGTERM, wait for its exit), start
      // the new one. The pid goes to a file; the log of each process to its own file.
      const replace = join(directory, 'replace.sh');
      writeFileSync(
        replace,
        [
          '#!/bin/sh',
          'port=$1',
          `pids=${directory}`,
          'if [ -f $pids/$port.pid ]; then',
          '  old=$(cat $pids/$port.pid)',
          '  kill -TERM $old',
          '  i=0',
          '  while kill -0 $old 2>/dev/null; do i=$((i+1)); [ $i -gt 600 ] && { echo "pid $old still running after 30 s" >&2; exit 1; }; sleep 0.05; done',
          'fi',
          `PORT=$port nohup ${process.execPath} ${bundle} api >$pids/$port.$(date +%s%N).log 2>&1 &`,
          'echo $! >$pids/$port.pid',
          '',
        ].join('\n'),
      );
      const start = (port: number) => runAsync('sh', [replace, String(port)], 10_000, variables);
      await Promise.all([start(port1), start(port2)]);
      const pidsBefore = [pidOf(port1), pidOf(port2)];
      await Promise.all([port1, port2].map((port) => waitReady(port, pidOf(port))));
      proxy = await startCaddy(directory, [port1, port2], '/ready');

      // Both processes read the limits from the database; the per-IP limit (20 a minute) would otherwise
      // answer the load, which all comes from 127.0.0.1, with 429s.
      for (const setting of ['rate_limit.chat.prod', 'rate_limit.ip.per_minute']) {
        const response = await fetch(`${proxy.url}/v1/admin/settings/${setting}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ value: 10_000_000 }),
        });
        expect(response.status, await response.text()).toBe(200);
      }

      const target = `${proxy.url}/v1/chat/completions`;
      const load = startLoad(8, async () => {
        const response = await fetch(target, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'rolling' }] }),
          signal: AbortSignal.timeout(20_000),
        });
        const text = await response.text();
        if (response.status === 200) return null;
        // An empty 503 is Caddy's own: no upstream it considered healthy.
        return `HTTP ${response.status} ${text ? text.slice(0, 200) : '(empty: from Caddy)'}`;
      });
      let roll: Awaited<ReturnType<typeof runRollingDeploy>>;
      try {
        // deploy.sh's settle time (2 s): Caddy must have seen the new process healthy before the other drains.
        roll = await runRollingDeploy([port1, port2], `sh ${replace} {port}`, 200_000, {
          environment: variables,
          settleSeconds: 2,
        });
      } finally {
        await load.stop();
      }
      expect(roll.status, roll.stderr).toBe(0);
      expect(roll.stderr).toMatch(
        /replacing api-1[\s\S]*api-1 is healthy[\s\S]*replacing api-2[\s\S]*rolled api-1, api-2/,
      );
      const pidsAfter = [pidOf(port1), pidOf(port2)];
      expect(pidsAfter.filter((pid) => pidsBefore.includes(pid))).toEqual([]);
      // The old processes drained and exited (the replace step waited for that); the new ones run.
      expect(pidsBefore.filter(alive)).toEqual([]);
      expect(pidsAfter.every(alive)).toBe(true);
      expect(load.failed).toEqual([]);
      expect(load.ok).toBeGreaterThan(50);
      // The new processes took traffic from Caddy: each counted chat requests in its own metrics.
      for (const port of [port1, port2]) {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const served = metrics
          .split('\n')
          .filter((line) => line.startsWith('switchyard_http_requests_total{') && line.includes('/v1/chat/completions'))
          .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
        expect(served, `chat requests served by the new process on ${port}`).toBeGreaterThan(0);
      }
    } finally {
      proxy?.caddy.kill('SIGTERM');
      for (const port of [port1, port2]) {
        try {
          process.kill(pidOf(port), 'SIGKILL');
        } catch {}
      }
      await environment?.drop().catch(() => {});
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
