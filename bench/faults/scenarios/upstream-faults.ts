/**
 * Every upstream fault against one embedded Switchyard with the documented routing defaults (2 rounds,
 * back-off between them, retryable = 429/5xx/timeout/reset, fallbacks after the model's deployments):
 * each answer must be a clear error (status + SY_ERR code, or an SSE error frame then [DONE] once a
 * stream has started), the upstream must be called as often as the retry rules say, fallbacks must
 * answer 200 from the fallback, and no request may hang.
 */
import { join } from 'node:path';
import { createAdminKey, type SwitchyardSetup } from '../../switchyard';
import { type CallResult, call, chatBody, errorCode, faultModels, startRole } from '../cluster';
import { liftRateLimits, type ScenarioContext } from '../harness';
import { Checks } from '../verdict';

interface Case {
  name: string;
  model: string;
  stream: boolean;
  /** Upstream model name counted by the fake. */
  upstreamModel: string;
  expect: (result: CallResult) => string | null;
  upstreamCalls: number;
  /** The answer must come within this (the fault's own timeouts and back-off included). */
  withinMs: number;
}

const clearError =
  (statuses: number[], extra?: (result: CallResult) => string | null) =>
  (result: CallResult): string | null => {
    if (result.failure) return `connection ${result.failure}`;
    if (!statuses.includes(result.status)) return `status ${result.status}, wanted ${statuses.join('/')}`;
    const code = errorCode(result.text);
    if (!code) return `no error code in ${result.text.slice(0, 120)}`;
    return extra ? extra(result) : null;
  };

const servedByFallback = (result: CallResult): string | null => {
  if (result.status !== 200) return `status ${result.status} ${result.text.slice(0, 120)}`;
  const servedBy = result.headers?.get('x-switchyard-model') ?? '';
  return servedBy.endsWith('/ok') ? null : `served by '${servedBy}', not the fallback`;
};

const streamErrorFrame = (result: CallResult): string | null => {
  if (result.failure) return `connection ${result.failure}`;
  if (result.status !== 200) return `status ${result.status}`;
  if (!/data: \{"error"/.test(result.text)) return 'no error frame in the stream';
  if (!result.text.trimEnd().endsWith('data: [DONE]')) return 'the stream does not end with data: [DONE]';
  return null;
};

const cases: Case[] = [
  {
    name: '500',
    model: faultModels.fail500,
    stream: false,
    upstreamModel: 'fail-500',
    expect: clearError([502]),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  {
    name: '500-stream',
    model: faultModels.fail500,
    stream: true,
    upstreamModel: 'fail-500',
    expect: clearError([502]),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  {
    name: '429',
    model: faultModels.fail429,
    stream: false,
    upstreamModel: 'fail-429',
    expect: clearError([429], (result) => (result.headers?.get('retry-after') ? null : 'no Retry-After')),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  {
    name: 'timeout',
    model: faultModels.hang,
    stream: false,
    upstreamModel: 'hang',
    expect: clearError([504]),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  {
    name: 'timeout-stream',
    model: faultModels.hang,
    stream: true,
    upstreamModel: 'hang',
    expect: clearError([504]),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  // A body that is not JSON at all (a proxy's error page) is a retryable 502; JSON of the wrong shape would not be.
  {
    name: 'garbage',
    model: faultModels.garbage,
    stream: false,
    upstreamModel: 'garbage',
    expect: clearError([502]),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  {
    name: 'cut',
    model: faultModels.cut,
    stream: false,
    upstreamModel: 'cut',
    expect: clearError([502]),
    upstreamCalls: 2,
    withinMs: 10_000,
  },
  {
    name: 'cut-stream',
    model: faultModels.cut,
    stream: true,
    upstreamModel: 'cut',
    expect: streamErrorFrame,
    upstreamCalls: 1,
    withinMs: 5_000,
  },
  {
    name: '500-fallback',
    model: faultModels.fail500Fallback,
    stream: false,
    upstreamModel: 'fail-500',
    expect: servedByFallback,
    upstreamCalls: 1,
    withinMs: 5_000,
  },
  {
    name: '429-fallback',
    model: faultModels.fail429Fallback,
    stream: false,
    upstreamModel: 'fail-429',
    expect: servedByFallback,
    upstreamCalls: 1,
    withinMs: 5_000,
  },
];

export async function upstreamFaultsScenario(context: ScenarioContext): Promise<Checks> {
  const checks = new Checks();
  const repeats = context.options.quick ? 2 : 5;
  const dataDir = join(context.directory, 'data');
  const setup: SwitchyardSetup = { mode: 'embedded', port: 0, configPath: context.configPath, dataDir };
  const server = await startRole('start', setup, join(context.directory, 'embedded.log'));
  context.defer(() => {
    if (server.alive()) server.child.kill('SIGKILL');
  });
  const key = await createAdminKey(setup);
  await liftRateLimits(server.baseUrl, key);
  let requests = 0;
  let slowest = 0;
  let passed = 0;
  let hung = 0;
  for (const testCase of cases) {
    const before = (await context.upstream.stats()).served[testCase.upstreamModel] ?? 0;
    const results = await Promise.all(
      Array.from({ length: repeats }, (_, index) =>
        call(server.baseUrl, '/v1/chat/completions', {
          key,
          body: chatBody(testCase.model, `fault ${testCase.name} ${index}`, testCase.stream ? { stream: true } : {}),
          timeoutMs: 30_000,
        }),
      ),
    );
    const after = (await context.upstream.stats()).served[testCase.upstreamModel] ?? 0;
    requests += results.length;
    const problems = new Set<string>();
    for (const result of results) {
      slowest = Math.max(slowest, result.ms);
      if (result.failure === 'timeout') hung += 1;
      const problem = testCase.expect(result);
      if (problem) problems.add(problem);
      if (result.ms > testCase.withinMs) problems.add(`took ${Math.round(result.ms)} ms`);
    }
    const calls = (after - before) / repeats;
    if (calls !== testCase.upstreamCalls)
      problems.add(`${calls} upstream calls per request, documented ${testCase.upstreamCalls}`);
    const first = results[0] as CallResult;
    checks.figure(
      testCase.name,
      `${first.status}${errorCode(first.text) ? `:${errorCode(first.text)}` : ''}/${calls}x/${Math.round(Math.max(...results.map((result) => result.ms)))}ms`,
    );
    checks.check(problems.size === 0, `${testCase.name}: ${[...problems].join(', ')}`);
    if (problems.size === 0) passed += 1;
  }
  checks.figure('cases_passed', `${passed}/${cases.length}`);
  checks.figure('requests', requests);
  checks.figure('slowest_ms', Math.round(slowest));
  checks.figure('hung', hung);
  checks.check(hung === 0, `${hung} requests got no answer within 30 s`);
  checks.note('figures per case: status:code/upstream calls per request/slowest answer');
  return checks;
}
