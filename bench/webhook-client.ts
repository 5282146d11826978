/**
 * A child process that posts signed webhook deliveries, so the client never shares an event loop
 * with the orchestrator or the fake Graph API. It receives one WebhookJob over IPC, builds and signs
 * every body first (outside the timing), sends them over keep-alive connections and answers with
 * one WebhookRunResult.
 */
import { Agent, request as httpRequest } from 'node:http';
import { summarize } from './stats';
import { signedDelivery } from './webhook-payloads';
import type { WebhookJob, WebhookRunResult } from './webhook-protocol';

function post(
  agent: Agent,
  url: URL,
  delivery: { raw: string; signature: string },
): Promise<{ status: number; microseconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const outgoing = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(delivery.raw),
          'x-hub-signature-256': delivery.signature,
          'user-agent': 'facebookexternalua',
        },
      },
      (incoming) => {
        incoming.resume();
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            microseconds: Number(process.hrtime.bigint() - started) / 1000,
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(delivery.raw);
  });
}

async function run(job: WebhookJob): Promise<WebhookRunResult> {
  const url = new URL(job.url);
  const deliveries = Array.from({ length: job.warmup + job.requests }, (_, index) =>
    signedDelivery(job, job.firstIndex + index),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let firstError: string | null = null;
  const samples: number[] = [];
  let ok = 0;
  let warmupOk = 0;
  const send = async (index: number, measured: boolean) => {
    try {
      const answer = await post(agent, url, deliveries[index] as { raw: string; signature: string });
      statusCodes[answer.status] = (statusCodes[answer.status] ?? 0) + 1;
      if (answer.status === 200) {
        if (measured) {
          ok += 1;
          samples.push(answer.microseconds);
        } else warmupOk += 1;
      }
    } catch (error) {
      errors += 1;
      firstError ??= String(error);
    }
  };
  for (let index = 0; index < job.warmup; index += 1) await send(index, false);
  let next = job.warmup;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (next < deliveries.length) {
        const index = next;
        next += 1;
        await send(index, true);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return {
    connections: job.connections,
    requests: job.requests,
    warmupOk,
    ok,
    errors,
    firstError,
    statusCodes,
    seconds,
    acknowledgementsPerSecond: ok / seconds,
    latencyMicroseconds: summarize(samples),
  };
}

process.once('message', (job: WebhookJob) => {
  run(job).then(
    (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ type: 'error', error: String(error) }, () => process.exit(1)),
  );
});
