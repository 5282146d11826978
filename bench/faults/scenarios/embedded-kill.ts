/**
 * Embedded mode (PGlite) SIGKILLed while clients write, then started again on the same data directory,
 * several times: every start must succeed (no corruption, /ready 200), and everything the server
 * acknowledged must be there: each key it answered 201 for authenticates, each job it answered 202 for
 * exists and finally completes.
 */
import { join } from 'node:path';
import { sleep } from '../../processes';
import { createAdminKey, type SwitchyardSetup } from '../../switchyard';
import { call, chatBody, faultModels, type RoleProcess, startRole } from '../cluster';
import { liftRateLimits, type ScenarioContext } from '../harness';
import { Checks } from '../verdict';

export async function embeddedKillScenario(context: ScenarioContext): Promise<Checks> {
  const checks = new Checks();
  const cycles = context.options.quick ? 2 : 5;
  const dataDir = join(context.directory, 'data');
  const setup: SwitchyardSetup = { mode: 'embedded', port: 0, configPath: context.configPath, dataDir };
  let server: RoleProcess = await startRole('start', setup, join(context.directory, 'start-0.log'));
  context.defer(() => {
    if (server.alive()) server.child.kill('SIGKILL');
  });
  const adminKey = await createAdminKey(setup);
  await liftRateLimits(server.baseUrl, adminKey);
  const keys: string[] = [];
  const jobs: string[] = [];
  let failedStarts = 0;
  let startMs = 0;
  let inFlightAtKill = 0;
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    let writing = true;
    let inFlight = 0;
    const lane = async (lane: number) => {
      for (let index = 0; writing; index += 1) {
        inFlight += 1;
        if ((lane + index) % 2 === 0) {
          const result = await call(server.baseUrl, '/v1/admin/keys', {
            key: adminKey,
            body: { name: `kill-${cycle}-${lane}-${index}`, environment: 'prod' },
          });
          if (result.status === 201) keys.push((JSON.parse(result.text) as { key: string }).key);
        } else {
          const result = await call(server.baseUrl, '/v1/chat/completions', {
            key: adminKey,
            headers: { prefer: 'respond-async' },
            body: chatBody(faultModels.ok, `written before kill ${cycle} ${lane} ${index}`),
          });
          if (result.status === 202) jobs.push((JSON.parse(result.text) as { id: string }).id);
        }
        inFlight -= 1;
        if (!server.alive()) break;
      }
    };
    const lanes = Array.from({ length: 8 }, (_, index) => lane(index));
    await sleep(context.options.quick ? 2000 : 4000);
    inFlightAtKill += inFlight;
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    writing = false;
    await Promise.all(lanes);
    const started = performance.now();
    try {
      server = await startRole('start', setup, join(context.directory, `start-${cycle + 1}.log`));
      startMs = Math.max(startMs, performance.now() - started);
    } catch (error) {
      failedStarts += 1;
      checks.check(false, `restart ${cycle + 1} failed: ${String(error)}`);
      break;
    }
  }

  let missingKeys = 0;
  let missingJobs = 0;
  let ready = 0;
  if (server.alive()) {
    // /health answers as soon as the server listens; /ready once its databases answer: give it a minute.
    const readyStarted = performance.now();
    for (;;) {
      ready = (await call(server.baseUrl, '/ready')).status;
      if (ready === 200 || performance.now() - readyStarted > 60_000) break;
      await sleep(200);
    }
    checks.figure('ready_after_ms', Math.round(performance.now() - readyStarted));
    for (const key of keys) if ((await call(server.baseUrl, '/v1/models', { key })).status !== 200) missingKeys += 1;
    // Jobs a killed process held come back when their lease (30 s) ran out.
    const deadline = Date.now() + 120_000;
    let pending = [...jobs];
    while (pending.length > 0 && Date.now() < deadline) {
      const next: string[] = [];
      for (const id of pending) {
        const result = await call(server.baseUrl, `/v1/chat/jobs/${id}`, { key: adminKey });
        if (result.status !== 200 || (JSON.parse(result.text) as { status: string }).status !== 'completed')
          next.push(id);
      }
      pending = next;
      if (pending.length > 0) await sleep(1000);
    }
    for (const id of pending)
      if ((await call(server.baseUrl, `/v1/chat/jobs/${id}`, { key: adminKey })).status !== 200) missingJobs += 1;
    checks.figure('jobs_not_completed', pending.length);
    checks.check(
      pending.length === 0,
      `${pending.length} acknowledged jobs did not complete within 2 min of the last start`,
    );
  }
  checks.figure('kills', cycles);
  checks.figure('in_flight_at_kills', inFlightAtKill);
  checks.figure('failed_restarts', failedStarts);
  checks.figure('slowest_restart_ms', Math.round(startMs));
  checks.figure('acknowledged_keys', keys.length);
  checks.figure('acknowledged_jobs', jobs.length);
  checks.figure('keys_lost', missingKeys);
  checks.figure('jobs_lost', missingJobs);
  checks.check(ready === 200, `/ready still answered ${ready} a minute after the last restart`);
  checks.check(missingKeys === 0, `${missingKeys} acknowledged keys were gone after a restart`);
  checks.check(missingJobs === 0, `${missingJobs} acknowledged jobs were gone after a restart`);
  checks.check(keys.length > 0 && jobs.length > 0, 'nothing was written before the kills');
  return checks;
}
