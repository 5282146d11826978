import { eventually } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/** Loaded CI machines are slow: a generous bound on waits for events, and on each test (never what decides it). */
const slow = { timeout: 90_000 };
const soon = <T>(assertion: () => T | Promise<T>) => eventually(assertion, { safetyMs: 45_000 });

let server: TestServer;

beforeAll(async () => {
  // No Graph API anywhere: prod is not configured at all, dev records into the dry-run sink.
  server = await startTestServer({
    config: { ollama: { autodetect: false }, whatsapp: { dev: { dryRun: true } } },
  });
});

afterAll(async () => {
  await server?.destroy();
});

async function send(key: string, body: Record<string, unknown>) {
  const response = await fetch(`${server.url}/v1/messages/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await readJson(response) };
}

describe('the dev dry-run sink', () => {
  it('records a dev message as sent without sending it, and prod without a number is a clear 503', slow, async () => {
    const devKey = await server.createKey('dev');
    const accepted = await send(devKey, { to: '+4915100000030', text: 'only recorded' });
    expect(accepted.status).toBe(202);
    const recorded = await soon(async () => {
      const response = await fetch(`${server.url}/v1/messages/${accepted.body.id}`, {
        headers: { authorization: `Bearer ${devKey}` },
      });
      const body = await readJson(response);
      expect(body.status).toBe('sent');
      return body;
    });
    expect(recorded).toMatchObject({ dry_run: true, environment: 'dev', to: '+4915100000030' });
    expect(recorded.whatsapp_message_id).toMatch(/^dryrun\./);

    const prod = await send(await server.createKey('prod'), { to: '+4915100000030', text: 'nowhere to go' });
    expect(prod.status).toBe(503);
    expect(prod.body.error.code).toBe('SY_ERR_MESSAGING_NOT_CONFIGURED');
  });

  it('answers the webhook with 503 while no app secret is configured, storing nothing', slow, async () => {
    const response = await fetch(`${server.url}/v1/whatsapp/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
      body: JSON.stringify({ object: 'whatsapp_business_account', entry: [] }),
    });
    expect(response.status).toBe(503);
    const verify = await fetch(
      `${server.url}/v1/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`,
    );
    expect(verify.status).toBe(503);
  });
});
