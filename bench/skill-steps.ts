/**
 * What a tool step costs: the time Switchyard adds per step of a chat with apps (model asks for a
 * skill → the skill runs → the result goes back to the model), excluding the skill's own time.
 *
 *   npm run skills -w @switchyard/bench              # ~1 min
 *   npm run skills -w @switchyard/bench -- --quick   # ~15 s
 *
 * Two measurements, side by side in one run:
 *  1. in process: the skill loop itself (apps/server/src/apps/skill-loop.ts) with an instant model
 *     and an instant in-process skill: tool lookup, argument parsing, input-schema check, timeout,
 *     metrics, events, the next turn's messages. Per step: time from one model turn returning to
 *     the next one starting, minus the skill's own time. Baseline: calling the skill directly.
 *  2. over HTTP: a test server (the source, through tsx) in front of the testkit's fake OpenAI
 *     upstream that asks for a skill of a real MCP server (stdio) for K steps. Per step, paired
 *     with the request next to it: (latency with K steps − latency of the same chat answered at
 *     once) / K, shown next to a direct round trip to the fake and the skill's time
 *     (tool_result duration_ms: the MCP round trip).
 * Writes bench/results/<date>-skill-steps.{json,md} with the machine.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppRuntime, SkillDefinition } from '@switchyard/core';
import { startFakeOpenAI, testMcpServerPath } from '@switchyard/testkit';
import pino from 'pino';
import { createAppRegistry } from '../apps/server/src/apps/app-registry';
import { runSkillLoop } from '../apps/server/src/apps/skill-loop';
import { createMetrics } from '../apps/server/src/infrastructure/metrics';
import { startTestServer } from '../apps/server/src/testing/test-server';
import { describeMachine } from './machine';
import { type Summary, summarize } from './stats';

const quick = process.argv.includes('--quick');
const here = dirname(fileURLToPath(import.meta.url));
const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;
const ms = (summary: Summary) => ({
  p50: round(summary.p50),
  p90: round(summary.p90),
  p99: round(summary.p99),
  max: round(summary.max),
  mean: round(summary.mean),
  count: summary.count,
});

const echoSkill: SkillDefinition = {
  name: 'echo',
  description: 'Says the text back',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
};

/** An in-process app whose skill takes no time; records how long each invocation itself took. */
function instantApp(skillTimes: number[]): AppRuntime {
  return {
    id: 'bench',
    name: 'bench',
    description: '',
    kind: 'builtin',
    environments: ['prod', 'dev'],
    timeoutMs: 30_000,
    maxOutputBytes: 64 * 1024,
    skills: async () => [echoSkill],
    focusModes: async () => [],
    async invoke(_skill, call) {
      const started = performance.now();
      const text = `echo: ${String(call.input.text)}`;
      skillTimes.push(performance.now() - started);
      return { text, isError: false, truncated: false };
    },
    close: async () => {},
  };
}

async function inProcess(requests: number, stepsPerRequest: number) {
  const skillTimes: number[] = [];
  const app = instantApp(skillTimes);
  const metrics = createMetrics();
  const registry = createAppRegistry({ apps: [], builtins: [app], logger: pino({ level: 'silent' }), metrics });
  const caller = { kind: 'key' as const, subject: 'key:bench', userId: null };
  const stepTimes: number[] = [];
  const direct: number[] = [];

  // Baseline: the skill called through the registry without a loop (validation, timeout, metrics).
  for (let index = 0; index < requests * stepsPerRequest; index += 1) {
    const started = performance.now();
    await registry.run(app, 'echo', {
      environment: 'prod',
      caller,
      input: { text: 'hi' },
      signal: new AbortController().signal,
    });
    direct.push(performance.now() - started);
  }

  for (let request = 0; request < requests; request += 1) {
    let turns = 0;
    let returnedAt = 0;
    let skillBefore = 0;
    const signal = new AbortController().signal;
    await runSkillLoop(
      registry,
      { model: 'm', messages: [{ role: 'user', content: 'go' }] },
      { apps: [{ id: 'bench', skills: null }] },
      { environment: 'prod', caller, signal, maxSteps: stepsPerRequest + 1, onEvent: () => {} },
      async () => {
        const now = performance.now();
        if (turns > 0) {
          const skillTime = skillTimes.slice(skillBefore).reduce((sum, value) => sum + value, 0);
          stepTimes.push(now - returnedAt - skillTime);
        }
        skillBefore = skillTimes.length;
        turns += 1;
        const last = turns > stepsPerRequest;
        returnedAt = performance.now();
        return {
          id: `c${turns}`,
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [
            {
              index: 0,
              finish_reason: last ? 'stop' : 'tool_calls',
              message: last
                ? { role: 'assistant', content: 'done' }
                : {
                    role: 'assistant',
                    content: null,
                    tool_calls: [
                      {
                        id: `call_${turns}`,
                        type: 'function',
                        function: { name: 'bench__echo', arguments: '{"text":"hi"}' },
                      },
                    ],
                  },
            },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        };
      },
    );
  }
  await registry.close();
  // The first requests warm the JIT; they are measured but kept out of the figures.
  const warm = Math.min(stepTimes.length - 1, stepsPerRequest * Math.ceil(requests / 10));
  return {
    loopStepMs: ms(summarize(stepTimes.slice(warm))),
    registryRunMs: ms(summarize(direct.slice(warm))),
  };
}

interface StreamOutcome {
  latencyMs: number;
  skillMs: number;
  steps: number;
}

async function overHttp(requests: number, steps: number) {
  const upstream = await startFakeOpenAI({
    toolCalls: (request) => {
      const messages = request.messages as Array<{ role: string }>;
      const done = messages.filter((message) => message.role === 'tool').length;
      const asked = JSON.stringify(messages[0]).includes('go');
      return asked && done < steps ? [{ name: 'clock__echo', arguments: { text: 'hi' } }] : undefined;
    },
    reply: () => 'done',
  });
  const server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
      apps: [{ id: 'clock', type: 'mcp', command: [process.execPath, testMcpServerPath] }],
    },
  });
  const key = await server.createKey('prod');
  const admin = await server.createKey('prod', { admin: true });
  // As the main bench does: the rate limit out of the way, usage logging on.
  const raised = await fetch(`${server.url}/v1/admin/settings/rate_limit.chat.prod`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value: 10_000_000 }),
  });
  if (raised.status !== 200) throw new Error(`raising the rate limit failed: ${raised.status}`);
  const perIp = await fetch(`${server.url}/v1/admin/settings/rate_limit.ip.per_minute`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value: 10_000_000 }),
  });
  if (perIp.status !== 200) throw new Error(`raising the per-IP rate limit failed: ${perIp.status}`);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  /** A chat with the app offered: the model takes `steps` steps ('go') or answers at once ('plain'). */
  async function chat(message: 'go' | 'plain'): Promise<StreamOutcome> {
    const started = performance.now();
    const response = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'smart', message, stream: true, apps: ['clock'] }),
    });
    const text = await response.text();
    const latencyMs = performance.now() - started;
    if (response.status !== 200 || !text.includes('event: done')) {
      throw new Error(`chat failed: ${response.status} ${text.slice(0, 300)}`);
    }
    let skillMs = 0;
    let count = 0;
    for (const block of text.split('\n\n')) {
      if (!block.startsWith('event: tool_result')) continue;
      const data = JSON.parse(block.split('\n')[1]?.slice('data: '.length) ?? '{}') as { duration_ms: number };
      skillMs += data.duration_ms;
      count += 1;
    }
    return { latencyMs, skillMs, steps: count };
  }

  async function directTurn(): Promise<number> {
    const started = performance.now();
    const response = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'go' }] }),
    });
    await response.text();
    return performance.now() - started;
  }

  try {
    for (let index = 0; index < 20; index += 1) {
      await chat('go');
      await chat('plain');
      await directTurn();
    }
    const plain: number[] = [];
    const withApps: StreamOutcome[] = [];
    const direct: number[] = [];
    // Interleaved, so a busy moment of the machine hits all three alike.
    for (let index = 0; index < requests; index += 1) {
      withApps.push(await chat('go'));
      plain.push((await chat('plain')).latencyMs);
      direct.push(await directTurn());
    }
    if (withApps.some((outcome) => outcome.steps !== steps)) throw new Error('a chat did not take every step');
    // Paired samples: each chat with steps against the chat without and the direct turn next to it.
    const perStepTotal = withApps.map((outcome, index) => (outcome.latencyMs - (plain[index] ?? 0)) / steps);
    const skillPerStep = withApps.map((outcome) => outcome.skillMs / steps);
    return {
      steps,
      plainChatMs: ms(summarize(plain)),
      perStepTotalMs: ms(summarize(perStepTotal)),
      chatWithStepsMs: ms(summarize(withApps.map((outcome) => outcome.latencyMs))),
      directModelTurnMs: ms(summarize(direct)),
      skillOwnTimePerStepMs: ms(summarize(skillPerStep)),
    };
  } finally {
    await server.destroy();
    await upstream.close();
  }
}

const requests = quick ? 300 : 2000;
const loop = await inProcess(requests, 4);
console.log('in process, per step (ms):', loop.loopStepMs, ' registry.run alone:', loop.registryRunMs);
const http = await overHttp(quick ? 100 : 400, 4);
console.log('over HTTP (ms):', http);

const result = {
  date: new Date().toISOString(),
  machine: describeMachine(),
  quick,
  inProcess: { ...loop, ratioLoopStepToRegistryRunP99: round(loop.loopStepMs.p99 / loop.registryRunMs.p99, 2) },
  overHttp: {
    ...http,
    ratioStepToModelTurnPlusSkillP50: round(
      http.perStepTotalMs.p50 / (http.directModelTurnMs.p50 + http.skillOwnTimePerStepMs.p50),
      2,
    ),
  },
  target: { addedPerStepP99Ms: 2 },
};

const day = result.date.slice(0, 10);
const name = `${day}-skill-steps${quick ? '-quick' : ''}`;
const dir = join(here, 'results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
const row = (label: string, summary: ReturnType<typeof ms>) =>
  `| ${label} | ${summary.p50} | ${summary.p90} | ${summary.p99} | ${summary.max} | ${summary.count} |`;
const machine = result.machine;
await writeFile(
  join(dir, `${name}.md`),
  [
    `# Tool-step overhead — ${result.date}${quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, revision ${machine.revision ?? '?'}.`,
    '',
    'Milliseconds. Target: added time per tool step, excluding the skill’s own time, ≤ 2 ms p99.',
    '',
    '| measurement | p50 | p90 | p99 | max | samples |',
    '| --- | --- | --- | --- | --- | --- |',
    row('in process: loop step (excl. skill)', loop.loopStepMs),
    row('in process: registry.run alone (baseline)', loop.registryRunMs),
    row('HTTP: chat offering the app, answered at once', http.plainChatMs),
    row(`HTTP: chat with ${http.steps} tool steps (MCP stdio skill)`, http.chatWithStepsMs),
    row('HTTP: one step in all (model turn + skill + Switchyard)', http.perStepTotalMs),
    row('HTTP: one direct model turn to the fake', http.directModelTurnMs),
    row('HTTP: skill’s own time per step', http.skillOwnTimePerStepMs),
    '',
    `Ratios: loop step / registry.run at p99 = ${result.inProcess.ratioLoopStepToRegistryRunP99}; ` +
      `HTTP one step / (direct model turn + skill) at p50 = ${result.overHttp.ratioStepToModelTurnPlusSkillP50}.`,
    '',
    'The in-process loop step is the overhead a tool step adds (the target). Over HTTP a step also routes',
    'one more model turn (key check, rate limit, usage, translation: the gateway overhead that',
    '`npm run bench` measures) and waits for the model and the skill; subtracting separately measured',
    'round trips from it is within the noise of a loopback turn on this machine, so the HTTP rows are',
    'shown side by side rather than as a difference.',
    '',
  ].join('\n'),
);
console.log(`wrote bench/results/${name}.{json,md}`);
