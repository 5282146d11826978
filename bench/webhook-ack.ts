/**
 * `npm run webhook-ack -w @switchyard/bench [-- --quick] [-- --no-bot]`: WhatsApp webhook
 * acknowledgement time of a running Switchyard.
 *
 * Switchyard embedded (`switchyard start` from the built bundle, as the main bench runs it) is
 * configured with a WhatsApp prod number, its app secret and the bot answering with a model on the
 * bench's fake upstream; the Graph API is the testkit's fake (in this process). A client process
 * (webhook-client.ts) posts deliveries signed with X-Hub-Signature-256, one inbound text message
 * each, from a few hundred users: at c=1 every acknowledgement time is recorded (p50/p99), at c=16
 * the acknowledgements per second. Then the bench waits for the bot to have answered every message,
 * stops the server (SIGTERM) and counts the stored deliveries in its database: every 200 must have
 * left a row, and every row must have been processed.
 *
 * Writes bench/results/<date>-webhook-ack.{json,md} (`-webhook-ack-no-bot` with `--no-bot`; `--name`
 * changes the suffix).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '@switchyard/db';
import { type FakeWhatsAppGraph, startFakeWhatsAppGraph } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { describeMachine } from './machine';
import { benchDir, freePort, repoRoot, runMain, sleep, spawnNode, stopProcess, treeCpuSeconds } from './processes';
import { markdownTable } from './report';
import {
  createAdminKey,
  raiseRateLimit,
  type SwitchyardSetup,
  startSwitchyard,
  switchyardBuild,
  writeSwitchyardConfig,
} from './switchyard';
import { startFakeUpstream } from './upstream';
import type { WebhookJob, WebhookRunResult } from './webhook-protocol';
import { exchange } from './worker-protocol';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-bot': { type: 'boolean', default: false },
    name: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const quick = flags.quick ?? false;
const bot = !flags['no-bot'];
const log = (message: string) =>
  process.stdout.write(`[webhook-ack ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const appSecret = 'bench-whatsapp-app-secret-0123456789';
const phoneNumberId = '106540352242922';
const accessToken = 'EAAG-bench-access-token-0123456789';
const senders = 200;

/** The bench's usual config plus the WhatsApp section: the fake Graph API, the app secret, one number. */
function writeConfig(directory: string, upstreamBaseURL: string, graphURL: string): Promise<string> {
  return writeSwitchyardConfig(directory, upstreamBaseURL, [
    'whatsapp:',
    `  graphBaseURL: "${graphURL}"`,
    `  appSecret: "${appSecret}"`,
    '  verifyToken: "bench-verify-token"',
    `  prod: { phoneNumberId: "${phoneNumberId}", accessToken: "${accessToken}" }`,
    `  bot: { enabled: ${bot}, model: bench, systemPrompt: "You are the bench bot." }`,
  ]);
}

async function runClient(job: WebhookJob): Promise<WebhookRunResult> {
  const child = spawnNode(join(benchDir, 'webhook-client.ts'), [], { ipc: true });
  try {
    return await exchange<WebhookRunResult>(child, job);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

interface Stored {
  deliveries: number;
  processed: number;
  messagesRecorded: number;
}

async function countStored(dataDir: string): Promise<Stored> {
  const database = await openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'prod') });
  try {
    const deliveries = await database.db.execute<{ all: string | number; processed: string | number }>(
      sql.raw('SELECT count(*) AS "all", count(processed_at) AS processed FROM whatsapp_deliveries'),
    );
    const messages = await database.db.execute<{ recorded: string | number }>(
      sql.raw('SELECT count(*) AS recorded FROM whatsapp_messages'),
    );
    return {
      deliveries: Number(deliveries.rows[0]?.all ?? 0),
      processed: Number(deliveries.rows[0]?.processed ?? 0),
      messagesRecorded: Number(messages.rows[0]?.recorded ?? 0),
    };
  } finally {
    await database.close();
  }
}

/** Resolves with how long the bot took to have sent `count` answers, or null when it did not within the limit. */
async function waitForAnswers(graph: FakeWhatsAppGraph, count: number, limitMs: number): Promise<number | null> {
  const started = performance.now();
  const done = graph.waitForSent(count).then(() => performance.now() - started);
  const timeout = sleep(limitMs).then(() => null);
  return Promise.race([done, timeout]);
}

const format = (value: number | null | undefined, decimals = 0) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = describeMachine();
  const loadBefore = loadavg();
  const workDir = await mkdtemp(join(tmpdir(), 'switchyard-webhook-ack-'));
  const logDir = join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const fake = await startFakeUpstream(join(logDir, 'fake-upstream.log'));
  const graph = await startFakeWhatsAppGraph({ numbers: { [phoneNumberId]: accessToken }, enforceWindow: false });
  const plan = {
    latency: { warmup: quick ? 50 : 200, requests: quick ? 300 : 2000 },
    throughput: { warmup: 0, requests: quick ? 1000 : 5000, connections: 16 },
  };
  const setup: SwitchyardSetup = {
    mode: 'embedded',
    port: await freePort(),
    configPath: await writeConfig(workDir, fake.baseURL, graph.url),
    dataDir: join(workDir, 'data'),
  };
  log(`work dir ${workDir}; ${quick ? 'quick' : 'full'} run; bot ${bot ? 'on' : 'off'}`);
  let started: Awaited<ReturnType<typeof startSwitchyard>>;
  try {
    // A busy machine can take more than the usual minute to start it.
    started = await startSwitchyard(setup, { logFile: join(logDir, 'switchyard.log'), timeoutMs: 180_000 });
  } catch (error) {
    await graph.close();
    await fake.stop();
    throw error;
  }
  const child = started.child;
  const notes: string[] = [];
  try {
    const adminKey = await createAdminKey(setup);
    // Meta posts from a handful of addresses: the per-IP limit must not be what is measured.
    await raiseRateLimit(started.baseUrl, adminKey);
    const url = `${started.baseUrl}/v1/whatsapp/webhook`;
    const base = { url, appSecret, phoneNumberId, senders };

    log(`c=1: ${plan.latency.warmup} warm-up, then ${plan.latency.requests} deliveries`);
    const latency = await runClient({ ...base, firstIndex: 0, connections: 1, ...plan.latency });
    // Let the bot catch up, so the c=16 run does not start behind a backlog of the c=1 run's jobs.
    const afterLatency = latency.warmupOk + latency.ok;
    if (bot) await waitForAnswers(graph, afterLatency, 120_000);

    log(`c=16: ${plan.throughput.requests} deliveries`);
    const cpuBefore = child.pid ? treeCpuSeconds(child.pid) : null;
    const throughput = await runClient({
      ...base,
      firstIndex: plan.latency.warmup + plan.latency.requests,
      ...plan.throughput,
    });
    const cpuAfterAcks = child.pid ? treeCpuSeconds(child.pid) : null;
    const acknowledged = afterLatency + throughput.warmupOk + throughput.ok;
    log(`${acknowledged} acknowledged; waiting for the bot's answers`);
    const drainMs = bot ? await waitForAnswers(graph, acknowledged, 300_000) : null;
    const cpuAfterAnswers = child.pid ? treeCpuSeconds(child.pid) : null;
    const answers = graph.sent.length;
    const stopMs = await stopProcess(child, 60_000);
    const stored = await countStored(setup.dataDir);
    const lost = Math.max(0, acknowledged - stored.deliveries);
    const unprocessed = stored.deliveries - stored.processed;
    if (bot && drainMs === null) notes.push(`The bot had sent ${answers} of ${acknowledged} answers after 300 s.`);
    const loadAfter = loadavg();

    const result = {
      name: flags.name ?? (bot ? 'webhook-ack' : 'webhook-ack-no-bot'),
      date: startedAt.toISOString().slice(0, 10),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick,
      bot,
      machine,
      loadAverage: { before: loadBefore, after: loadAfter },
      switchyardBuild: switchyardBuild(),
      plan,
      latency,
      throughput,
      cpu: {
        /** Switchyard CPU during the c=16 run ÷ its acknowledgements (the bot's jobs running meanwhile included). */
        microsecondsPerAcknowledgement:
          cpuBefore !== null && cpuAfterAcks !== null && throughput.ok > 0
            ? ((cpuAfterAcks - cpuBefore) * 1e6) / throughput.ok
            : null,
        /** From the start of the c=16 run to the last bot answer, ÷ its deliveries: receipt, job, model call, send. */
        microsecondsPerMessageHandled:
          cpuBefore !== null && cpuAfterAnswers !== null && throughput.ok > 0
            ? ((cpuAfterAnswers - cpuBefore) * 1e6) / (throughput.warmupOk + throughput.ok)
            : null,
      },
      verification: {
        acknowledged,
        storedDeliveries: stored.deliveries,
        processedDeliveries: stored.processed,
        messagesRecorded: stored.messagesRecorded,
        botAnswers: answers,
        lost,
        unprocessed,
        drainAfterLastAckMs: drainMs,
        stopMs,
      },
      notes,
    };

    const resultsDir = join(benchDir, 'results');
    await mkdir(resultsDir, { recursive: true });
    const fileBase = join(resultsDir, `${result.date}-${result.name}`);
    await writeFile(`${fileBase}.json`, `${JSON.stringify(result, null, 2)}\n`);
    const row = (label: string, run: WebhookRunResult) => [
      label,
      String(run.requests),
      format(run.ok),
      format(run.latencyMicroseconds.p50),
      format(run.latencyMicroseconds.p90),
      format(run.latencyMicroseconds.p99),
      format(run.latencyMicroseconds.max),
      format(run.acknowledgementsPerSecond),
      Object.entries(run.statusCodes)
        .map(([code, count]) => `${code}: ${count}`)
        .join(', ') + (run.errors ? `; ${run.errors} errors (${run.firstError})` : ''),
    ];
    const markdown = [
      `# WhatsApp webhook acknowledgement — ${result.date}${quick ? ' (quick)' : ''}`,
      '',
      `Machine: ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}; Switchyard ${machine.revision ?? '?'} embedded (\`switchyard start\`, ${result.switchyardBuild}), bot ${bot ? 'on (answers every message through the fake upstream and the fake Graph API)' : 'off'}. Load average before ${loadBefore.map((value) => value.toFixed(2)).join(' / ')}, after ${loadAfter.map((value) => value.toFixed(2)).join(' / ')} (1 / 5 / 15 min): the machine was shared with other work, so absolute times are not those of a quiet machine.`,
      '',
      'Each delivery: one inbound text message, signed with X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret), from one of 200 users; time from sending it to the end of the 200 answer (the signature checked, the delivery stored, its job queued).',
      '',
      ...markdownTable(
        ['run', 'requests', '200s', 'p50 (µs)', 'p90 (µs)', 'p99 (µs)', 'max (µs)', 'acks/s', 'statuses'],
        [row('c=1', latency), row(`c=${plan.throughput.connections}`, throughput)],
      ),
      '',
      ...markdownTable(
        ['check', 'value'],
        [
          ['acknowledged (200), warm-ups included', format(acknowledged)],
          ['deliveries stored (counted after SIGTERM)', format(stored.deliveries)],
          ['lost (acknowledged − stored)', format(lost)],
          ['deliveries processed by the job', format(stored.processed)],
          ['bot answers recorded (whatsapp_messages rows)', format(stored.messagesRecorded)],
          ['bot answers sent to the Graph API', format(answers)],
          ['last answer after the last acknowledgement (ms)', format(drainMs)],
          [
            `Switchyard CPU per acknowledgement at c=16 (µs; ${bot ? 'the bot working meanwhile' : 'the job marking deliveries processed meanwhile'})`,
            format(result.cpu.microsecondsPerAcknowledgement),
          ],
          [
            `Switchyard CPU per message handled end to end (µs; ${bot ? 'receipt, job, model call, answer' : 'receipt and job'})`,
            format(result.cpu.microsecondsPerMessageHandled),
          ],
          ['SIGTERM to exit (ms)', format(stopMs)],
        ],
      ),
      '',
      ...(notes.length ? ['Notes:', '', ...notes.map((note) => `- ${note}`), ''] : []),
    ].join('\n');
    await writeFile(`${fileBase}.md`, markdown);
    process.stdout.write(`\n${markdown}\n`);
    log(`wrote ${relative(repoRoot, fileBase)}.json, .md`);
  } finally {
    if (child.exitCode === null) await stopProcess(child, 60_000);
    await graph.close();
    await fake.stop();
    if (flags.keep) log(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

runMain(main);
