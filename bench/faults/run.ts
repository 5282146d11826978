/**
 * The fault battery: real Switchyard processes on this machine, faults injected one scenario at a time,
 * one PASS/FAIL line each with its figures; exits 1 when any scenario failed.
 *
 *   npm run faults -w @switchyard/bench                       # everything, ~20 min
 *   npm run faults -w @switchyard/bench -- --quick            # smaller sizes, 1-minute soak
 *   npm run faults -w @switchyard/bench -- --only jobs-sigkill,sigterm
 *
 * See bench/README.md (section "Fault battery") for what each scenario does and checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPostgresReachable } from '../postgres';
import { benchDir } from '../processes';
import { switchyardBuild } from '../switchyard';
import { startFaultUpstream, writeFaultConfig } from './cluster';
import type { ScenarioContext } from './harness';
import { scenarioDirectory } from './harness';
import { faultReport } from './report';
import { embeddedKillScenario } from './scenarios/embedded-kill';
import { imageQuotaScenario } from './scenarios/image-quota';
import { jobsSigkillScenario } from './scenarios/jobs-sigkill';
import { rateLimitScenario } from './scenarios/rate-limit';
import { postgresRestartScenario, redisRestartScenario } from './scenarios/restarts';
import { sigtermScenario } from './scenarios/sigterm';
import { soakScenario } from './scenarios/soak';
import { upstreamFaultsScenario } from './scenarios/upstream-faults';
import { type Checks, parseFaultArgs, type ScenarioName, type ScenarioResult, verdictLine } from './verdict';

const scenarios: Record<ScenarioName, (context: ScenarioContext) => Promise<Checks>> = {
  'rate-limit': rateLimitScenario,
  'jobs-sigkill': jobsSigkillScenario,
  'image-quota': imageQuotaScenario,
  'redis-restart': redisRestartScenario,
  'postgres-restart': postgresRestartScenario,
  sigterm: sigtermScenario,
  'upstream-faults': upstreamFaultsScenario,
  'embedded-kill': embeddedKillScenario,
  soak: soakScenario,
};

const needsPostgres = new Set<ScenarioName>(['rate-limit', 'jobs-sigkill', 'image-quota', 'redis-restart', 'sigterm']);

async function main(): Promise<void> {
  const options = parseFaultArgs(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'switchyard-faults-'));
  const startedAt = new Date();
  const loadBefore = loadavg();
  process.stdout.write(
    `fault battery: ${options.only.join(', ')}${options.quick ? ' (quick)' : ''}; logs in ${root}; load average ${loadBefore.map((value) => value.toFixed(2)).join(' ')}\n`,
  );
  process.stdout.write(`Switchyard build: ${switchyardBuild()}\n`);
  const postgresUp = await isPostgresReachable();
  const upstream = await startFaultUpstream(join(root, 'fault-upstream.log'));
  const configPath = await writeFaultConfig(root, upstream.baseURL);
  const results: ScenarioResult[] = [];
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(loadavg()[0] as number), 5000);
  try {
    for (const name of options.only) {
      const started = performance.now();
      const deferred: (() => Promise<void> | void)[] = [];
      const context: ScenarioContext = {
        directory: scenarioDirectory(root, name),
        options,
        upstream,
        configPath,
        log: (text) => process.stdout.write(`  [${name}] ${text}\n`),
        defer: (action) => deferred.push(action),
      };
      let result: ScenarioResult;
      if (needsPostgres.has(name) && !postgresUp) {
        result = {
          name,
          pass: false,
          figures: {},
          failures: ['PostgreSQL on 127.0.0.1:5432 does not answer (start it, see the README)'],
          notes: [],
          seconds: 0,
        };
      } else {
        try {
          await upstream.reset();
          const checks = await scenarios[name](context);
          result = {
            name,
            pass: checks.failures.length === 0,
            figures: checks.figures,
            failures: checks.failures,
            notes: checks.notes,
            seconds: 0,
          };
        } catch (error) {
          result = {
            name,
            pass: false,
            figures: {},
            failures: [`the scenario broke: ${error instanceof Error ? error.message : String(error)}`],
            notes: [],
            seconds: 0,
          };
        }
        for (const action of deferred.reverse()) {
          try {
            await action();
          } catch (error) {
            process.stdout.write(`  [${name}] clean-up failed: ${String(error)}\n`);
          }
        }
      }
      result.seconds = (performance.now() - started) / 1000;
      results.push(result);
      process.stdout.write(`${verdictLine(result)}\n`);
      for (const note of result.notes) process.stdout.write(`  note: ${note}\n`);
    }
  } finally {
    clearInterval(sampler);
    await upstream.stop();
  }
  const failed = results.filter((result) => !result.pass);
  process.stdout.write(
    `\n${results.length - failed.length} of ${results.length} scenarios passed${failed.length ? `; failed: ${failed.map((result) => result.name).join(', ')}` : ''}\n`,
  );
  if (options.record) {
    const date = startedAt.toISOString().slice(0, 10);
    const path = join(benchDir, 'results', `${date}-faults${options.quick ? '-quick' : ''}.md`);
    writeFileSync(path, faultReport({ results, options, startedAt, loadBefore, loadSamples, loadAfter: loadavg() }));
    process.stdout.write(`results: ${path}\n`);
  }
  if (options.keep) process.stdout.write(`logs kept in ${root}\n`);
  else rmSync(root, { recursive: true, force: true });
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
