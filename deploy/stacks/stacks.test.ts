import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type CaddyProxy,
  freePort,
  hasCommand,
  runRollingDeploy,
  stacksDir,
  startCaddy,
  startLoad,
} from './roll-harness';

// The per-concern compose stacks (ingress, databases prod and dev, AI, apps), their Caddyfile and the
// rolling deploy script.

const composeFiles = readdirSync(stacksDir).filter((name) => /^docker-compose\..+\.yml$/.test(name));
const composeEnvironment = { ...process.env, TUNNEL_TOKEN: 'test-token', PUBLIC_URL: 'https://ai.example.com' };

type Service = { image?: string; deploy?: { resources?: { reservations?: { devices?: unknown[] } } } };

function services(file: string): Record<string, Service> {
  return (
    parseYaml(readFileSync(join(stacksDir, file), 'utf8'), { merge: true }) as { services: Record<string, Service> }
  ).services;
}

describe('compose stacks', () => {
  it('has one file per concern, as seed 000 lays them out', () => {
    expect(composeFiles.sort()).toEqual([
      'docker-compose.ai.yml',
      'docker-compose.apps.yml',
      'docker-compose.db-staging.yml',
      'docker-compose.db.yml',
      'docker-compose.ingress.yml',
    ]);
  });

  it('pins every image to a version', () => {
    for (const file of composeFiles) {
      for (const [name, service] of Object.entries(services(file))) {
        const image = service.image?.replace(/^\$\{SWITCHYARD_IMAGE:-(.+)\}$/, '$1') ?? '';
        expect(image, `${file} ${name}`).toMatch(/^[a-z0-9./-]+:[0-9A-Za-z][\w.-]*$/);
        expect(image, `${file} ${name}`).not.toMatch(/:latest$/);
      }
    }
  });

  it('reserves the GPU for Ollama and ComfyUI', () => {
    const ai = services('docker-compose.ai.yml');
    for (const name of ['ollama', 'comfyui']) {
      expect(ai[name]?.deploy?.resources?.reservations?.devices).toEqual([
        expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] }),
      ]);
    }
  });

  // One docker-compose run per file, each a Python start-up: 30 s is not enough on a loaded machine.
  it('`docker-compose config` (Compose v1) and `docker compose config` (v2) accept every file', {
    timeout: 120_000,
  }, (context) => {
    const tools = [
      ...(hasCommand('docker-compose') ? [['docker-compose']] : []),
      ...(spawnSync('docker', ['compose', 'version']).status === 0 ? [['docker', 'compose']] : []),
    ];
    if (tools.length === 0) {
      context.skip('neither docker-compose nor the docker compose plugin is installed');
      return;
    }
    for (const [command, ...prefix] of tools) {
      for (const file of composeFiles) {
        const result = spawnSync(command as string, [...prefix, '-f', file, 'config', '-q'], {
          cwd: stacksDir,
          env: composeEnvironment,
          encoding: 'utf8',
        });
        expect(result.status, `${command} ${file}: ${result.stderr}`).toBe(0);
      }
    }
  });

  it('`caddy validate` accepts the Caddyfile', (context) => {
    if (!hasCommand('caddy')) {
      context.skip('caddy is not installed');
      return;
    }
    const result = spawnSync('caddy', ['validate', '--config', 'Caddyfile', '--adapter', 'caddyfile'], {
      cwd: stacksDir,
      env: { ...process.env, SITE_ADDRESS: ':8099' },
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
  });
});

/**
 * A stand-in API process that drains like Switchyard should behind a proxy: on SIGTERM /ready turns 503
 * at once, requests keep being served for a grace period, then it stops accepting and exits once the
 * in-flight ones are done. Its pid goes to a file so the replace command can find it.
 */
const apiProcess = `
const http = require('node:http');
const fs = require('node:fs');
const [port, pidFile] = process.argv.slice(2);
let draining = false;
const server = http.createServer((request, response) => {
  // The proxy's health checks reuse one keep-alive connection; while draining that one is closed too,
  // or a check sent on it after close() sits unread and the process never exits.
  if (request.url === '/ready') { response.writeHead(draining ? 503 : 200, draining ? { connection: 'close' } : {}); response.end(); return; }
  // While draining, each answer says Connection: close, so the proxy never reuses a connection this
  // process is about to close (a reused connection closed under it is a 502 for a POST).
  setTimeout(() => { response.writeHead(200, { 'content-type': 'text/plain', ...(draining ? { connection: 'close' } : {}) }); response.end('pid ' + process.pid); }, 20);
});
server.keepAliveTimeout = 1000;
server.listen(Number(port), '127.0.0.1', () => fs.writeFileSync(pidFile, String(process.pid)));
process.on('SIGTERM', () => {
  draining = true;
  setTimeout(() => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    // A shutdown timeout, as Switchyard has: whatever is still open after it is closed.
    setTimeout(() => { server.closeAllConnections(); process.exit(0); }, 10000).unref();
  }, 1500);
});
`;

describe('rolling deploy behind Caddy', () => {
  it('replaces two processes one at a time under load with zero failed requests', {
    timeout: 120_000,
  }, async (context) => {
    if (!hasCommand('caddy')) {
      context.skip('caddy is not installed');
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-roll-'));
    const script = join(directory, 'api.cjs');
    writeFileSync(script, apiProcess);
    const [port1, port2] = await Promise.all([freePort(), freePort()]);
    const children: ChildProcess[] = [];
    const start = (port: number) => {
      const child = spawn(process.execPath, [script, String(port), join(directory, `${port}.pid`)], {
        stdio: 'ignore',
        detached: true,
      });
      child.unref();
      return child;
    };
    // The replace command: SIGTERM the old process, wait until it is gone, start the new one.
    writeFileSync(
      join(directory, 'replace.sh'),
      `#!/bin/sh\nport=$1\nold=$(cat ${directory}/$port.pid)\nkill -TERM $old\ni=0\nwhile kill -0 $old 2>/dev/null; do i=$((i+1)); [ $i -gt 600 ] && { echo "pid $old still running after 30 s" >&2; exit 1; }; sleep 0.05; done\nrm -f ${directory}/$port.pid\nnohup ${process.execPath} ${script} $port ${directory}/$port.pid >/dev/null 2>&1 &\nwhile [ ! -f ${directory}/$port.pid ]; do sleep 0.05; done\n`,
    );
    children.push(start(port1), start(port2));
    let proxy: CaddyProxy | undefined;
    try {
      proxy = await startCaddy(directory, [port1, port2], '/');
      const pidsBefore = [port1, port2].map((port) => readFileSync(join(directory, `${port}.pid`), 'utf8'));
      const servedBy = new Set<string>();
      const target = `${proxy.url}/`;
      // Load: eight clients sending back to back for the whole roll.
      const load = startLoad(8, async () => {
        const response = await fetch(target, { method: 'POST', body: 'x' });
        const text = await response.text();
        if (!response.ok) return `HTTP ${response.status}`;
        servedBy.add(text);
        return null;
      });
      const roll = await runRollingDeploy([port1, port2], `sh ${join(directory, 'replace.sh')} {port}`, 90_000);
      await load.stop();
      expect(roll.status, roll.stderr).toBe(0);
      expect(roll.stderr).toMatch(
        /replacing api-1[\s\S]*api-1 is healthy[\s\S]*replacing api-2[\s\S]*rolled api-1, api-2/,
      );
      const pidsAfter = [port1, port2].map((port) => readFileSync(join(directory, `${port}.pid`), 'utf8'));
      expect(pidsAfter.some((pid) => pidsBefore.includes(pid))).toBe(false);
      expect(load.failed).toEqual([]);
      expect(load.ok).toBeGreaterThan(100);
      // Old and new processes both answered.
      expect(servedBy.size).toBeGreaterThanOrEqual(3);
    } finally {
      proxy?.caddy.kill('SIGTERM');
      for (const port of [port1, port2]) {
        try {
          process.kill(Number(readFileSync(join(directory, `${port}.pid`), 'utf8')), 'SIGKILL');
        } catch {}
      }
      for (const child of children) child.kill('SIGKILL');
    }
  });

  it('stops the roll when a replaced process does not come back', () => {
    const roll = spawnSync(
      process.execPath,
      [
        join(stacksDir, 'rolling-deploy.mjs'),
        '--instance=api-1=9',
        '--replace=true',
        '--health-url=http://127.0.0.1:{port}/ready',
        '--timeout-seconds=1',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(roll.status).toBe(1);
    expect(roll.stderr).toMatch(/api-1 did not become healthy within 1s; stopping the roll/);
  });
});
