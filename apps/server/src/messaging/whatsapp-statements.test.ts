import { createHash } from 'node:crypto';
import {
  deliverWhatsAppWebhook,
  eventually,
  type FakeUpstreamServer,
  type FakeWhatsAppGraph,
  startFakeOpenAI,
  startFakeWhatsAppGraph,
  whatsappTextMessage,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * What one inbound text answered by the bot costs in SQL statements, end to end: the webhook's
 * acknowledgement, the `whatsapp.webhook` job and the answer's `message.send` job. A statement is
 * this message's when its values (or, for a job claim, the rows it returned) carry one of the
 * message's identifiers: its wamid, the sender, and every id the path made from them (the delivery,
 * the jobs, the conversation, the answer). That leaves out what the server does meanwhile on its
 * timers (schedules, the event outbox, other queues' polls), so the count is deterministic. Also left
 * out: the usage row, written by the batched usage writer with others, and the claim each queue
 * makes after a job to look for the next one (it claims the next message's job under load).
 */

const appSecret = 'meta-app-secret-for-tests-0123456789';
const prodNumber = '1111111111';
const prodToken = 'EAAG-prod-access-token-0123456789';

/** Loaded CI machines are slow: a generous bound on waits for events (never what decides a test). */
const slow = { timeout: 90_000 };

interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly result: unknown;
}

let graph: FakeWhatsAppGraph;
let openai: FakeUpstreamServer;
let server: TestServer;
let recorded: Statement[] | null = null;

beforeAll(async () => {
  graph = await startFakeWhatsAppGraph({ numbers: { [prodNumber]: prodToken } });
  openai = await startFakeOpenAI({ reply: () => 'an answer' });
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'fake', type: 'openai-compatible', baseURL: openai.url }],
      models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
      whatsapp: {
        graphBaseURL: graph.url,
        appSecret,
        verifyToken: 'verify-token-for-tests-0123',
        prod: { phoneNumberId: prodNumber, accessToken: prodToken },
        bot: { enabled: true, model: 'smart' },
      },
    },
    databaseTracer: async (sql, run, parameters) => {
      const log = recorded;
      const result = await run();
      log?.push({ sql: sql.replace(/\s+/g, ' ').trim(), parameters: parameters ?? [], result });
      return result;
    },
  });
}, 90_000);

afterAll(async () => {
  await server?.destroy();
  await Promise.all([graph?.close(), openai?.close()]);
});

/** Identifiers the path makes (delivery, job, conversation, message ids) look like these. */
const madeId = /^(whd_|wamsg_|conv_|chat_|msg_|message-send\.|whatsapp-webhook\.)/;

/** The bot's first answer to `wamid` (whatsapp-bot.ts's replyId), looked up before anything carries it. */
const answerId = (wamid: string) => `wamsg_bot_${createHash('sha256').update(wamid).digest('hex').slice(0, 32)}_0`;

/** The statements of `log` that belong to the message `wamid` from `sender`, in order. */
function statementsOf(log: readonly Statement[], wamid: string, sender: string): string[] {
  const tokens = new Set([wamid, sender.replace(/\D/g, ''), answerId(wamid)]);
  const carries = (value: unknown) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
    for (const token of tokens) if (text.includes(token)) return true;
    return false;
  };
  const ours: string[] = [];
  for (const statement of log) {
    // Batched with other rows whenever the usage writer flushes: not this message's own statement.
    if (/^insert into api_key_usage_log/i.test(statement.sql)) continue;
    if (!statement.parameters.some(carries) && !carries(statement.result)) continue;
    ours.push(statement.sql);
    for (const value of statement.parameters) if (typeof value === 'string' && madeId.test(value)) tokens.add(value);
    const rows = (statement.result as { rows?: unknown[] } | undefined)?.rows ?? [];
    for (const row of rows) {
      for (const value of Object.values(row as object)) {
        if (typeof value === 'string' && madeId.test(value)) tokens.add(value);
      }
    }
  }
  return ours;
}

/** Delivers one text from `from`, waits until both its jobs completed, and returns its statements. */
async function statementsOfOneMessage(from: string, wamid: string): Promise<string[]> {
  graph.openWindow(from);
  const log: Statement[] = [];
  recorded = log;
  const completions = (sql: string) => /^update "jobs" set "status" = \$1, "locked_by"/.test(sql);
  try {
    const response = await deliverWhatsAppWebhook(
      `${server.url}/v1/whatsapp/webhook`,
      whatsappTextMessage({ phoneNumberId: prodNumber, from, text: 'what is a switchyard?', id: wamid }),
      appSecret,
    );
    expect(response.status).toBe(200);
    // Both jobs' completions recorded (the answer's job runs while the webhook's finishes).
    await eventually(
      () => {
        const ours = statementsOf(log, wamid, `+${from}`);
        expect(ours.filter(completions)).toHaveLength(2);
        expect(graph.sent.filter((entry) => entry.body.to === from)).not.toHaveLength(0);
      },
      { safetyMs: 45_000 },
    );
  } finally {
    recorded = null;
  }
  const sent = (await server.parts.jobs.get(`message-send.${answerId(wamid)}`))?.status;
  expect(sent).toBe('completed');
  return statementsOf(log, wamid, `+${from}`);
}

describe('the SQL statements of one message answered by the bot', () => {
  it('an inbound text from a new sender answered by the bot costs at most 20 statements', slow, async () => {
    const statements = await statementsOfOneMessage('31611110001', 'wamid.statements-first');
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(20);
  });

  it('an inbound text from a sender writing again answered by the bot costs at most 22 statements', slow, async () => {
    const statements = await statementsOfOneMessage('31611110001', 'wamid.statements-second');
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(22);
  });
});
