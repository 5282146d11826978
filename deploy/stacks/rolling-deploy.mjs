#!/usr/bin/env node
// Rolls API processes one at a time behind the proxy: each is replaced, then must answer its health
// check (several times in a row) before the next one goes. Whatever runs the processes is a command:
// docker compose for the stacks (see deploy.sh), anything else in tests.
//
//   node rolling-deploy.mjs --instance api-1 --instance api-2 \
//     --replace 'docker compose -f docker-compose.apps.yml up -d --no-deps --force-recreate {name}' \
//     --health-cmd 'docker compose -f docker-compose.apps.yml exec -T {name} node -e "fetch(\"http://127.0.0.1:8080/ready\").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"'
//
// or --health-url 'http://127.0.0.1:{port}/ready' with --instance api-1=8081. Exit 0 when every
// instance rolled; 1 (and no further instance touched) when one did not come back healthy.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    instance: { type: 'string', multiple: true },
    replace: { type: 'string' },
    'health-url': { type: 'string' },
    'health-cmd': { type: 'string' },
    'timeout-seconds': { type: 'string', default: '120' },
    'healthy-times': { type: 'string', default: '3' },
    'interval-ms': { type: 'string', default: '500' },
    'settle-seconds': { type: 'string', default: '2' },
  },
});

function fail(message) {
  process.stderr.write(`deploy: ${message}\n`);
  process.exit(2);
}

const instances = (values.instance ?? []).map((entry) => {
  const [name, port = ''] = entry.split('=');
  return { name, port };
});
if (instances.length === 0) fail('name at least one --instance');
if (!values.replace) fail('--replace is required (the command that replaces one instance; {name} is filled in)');
if (!values['health-url'] && !values['health-cmd']) fail('--health-url or --health-cmd is required');
const timeoutMs = Number(values['timeout-seconds']) * 1000;
const healthyTimes = Number(values['healthy-times']);
const intervalMs = Number(values['interval-ms']);
const settleMs = Number(values['settle-seconds']) * 1000;

const fill = (template, instance) => template.replaceAll('{name}', instance.name).replaceAll('{port}', instance.port);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function run(command) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

async function healthy(instance) {
  if (values['health-url']) {
    try {
      const response = await fetch(fill(values['health-url'], instance), { signal: AbortSignal.timeout(2000) });
      return response.ok;
    } catch {
      return false;
    }
  }
  return (await run(fill(values['health-cmd'], instance))) === 0;
}

/** Healthy `healthyTimes` checks in a row within the timeout. */
async function waitHealthy(instance) {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  while (Date.now() < deadline) {
    streak = (await healthy(instance)) ? streak + 1 : 0;
    if (streak >= healthyTimes) return true;
    await sleep(intervalMs);
  }
  return false;
}

for (const instance of instances) {
  // Only roll while the others can carry the traffic.
  for (const other of instances) {
    if (other !== instance && !(await waitHealthy(other))) {
      process.stderr.write(`deploy: ${other.name} is not healthy; not touching ${instance.name}\n`);
      process.exit(1);
    }
  }
  process.stderr.write(`deploy: replacing ${instance.name}\n`);
  const code = await run(fill(values.replace, instance));
  if (code !== 0) {
    process.stderr.write(`deploy: replacing ${instance.name} failed (exit ${code}); stopping the roll\n`);
    process.exit(1);
  }
  if (!(await waitHealthy(instance))) {
    process.stderr.write(
      `deploy: ${instance.name} did not become healthy within ${timeoutMs / 1000}s; stopping the roll\n`,
    );
    process.exit(1);
  }
  // Give the proxy's active health check time to send it traffic again before the next one drains.
  await sleep(settleMs);
  process.stderr.write(`deploy: ${instance.name} is healthy\n`);
}
process.stderr.write(`deploy: rolled ${instances.map((instance) => instance.name).join(', ')}\n`);
