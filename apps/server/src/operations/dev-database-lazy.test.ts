import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * Embedded mode's dev database opens on the first request of the dev environment, not at start: a fresh
 * server is ready with it closed, and a dev database that cannot open fails dev requests with 503 only.
 */
describe('the embedded dev database, opened on first use', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.destroy();
    server = undefined;
  });

  const chat = (key: string) =>
    fetch(`${server?.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello' }] }),
    });

  it('is ready without opening the dev database; the first dev request opens it', async () => {
    server = await startTestServer();
    const devDir = join(server.dataDir, 'dev');

    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    const body = await readJson(ready);
    expect(body.status).toBe('ready');
    expect(body.checks.database_prod.ok).toBe(true);
    expect(body.checks.database_dev).toMatchObject({ ok: true, state: 'not opened' });
    // A prod request and a dev key's creation (keys live in prod) leave it closed too.
    const prodKey = await server.createKey('prod');
    expect((await chat(prodKey)).status).toBe(200);
    const devKey = await server.createKey('dev');
    await server.parts.usage.flush();
    // The admin console's Health page polls dev usage: zero, read without opening the dev database.
    const adminKey = await server.createKey('prod', { admin: true });
    const devUsage = await fetch(`${server.url}/v1/admin/usage?environment=dev&bucket=hour`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(devUsage.status).toBe(200);
    const devUsageBody = await readJson(devUsage);
    expect(devUsageBody).toMatchObject({ environment: 'dev', database_state: 'not opened', buckets: [] });
    expect(devUsageBody.totals.requests).toBe(0);
    expect(devUsageBody.providers.every((provider: { requests: number }) => provider.requests === 0)).toBe(true);
    expect(server.parts.databases.dev.opened()).toBe(false);
    expect(existsSync(devDir)).toBe(false);

    const answered = await chat(devKey);
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-environment')).toBe('dev');
    expect(server.parts.databases.dev.openState?.()).toEqual({ state: 'open' });
    expect(existsSync(join(devDir, 'PG_VERSION'))).toBe(true);

    const after = await readJson(await fetch(`${server.url}/ready`));
    expect(after.status).toBe('ready');
    expect(after.checks.database_dev).toMatchObject({ ok: true, state: 'open' });

    // Once open, the dev usage read is the real one (the dev request above is counted).
    await server.parts.usage.flush();
    const openedUsage = await readJson(
      await fetch(`${server.url}/v1/admin/usage?environment=dev&bucket=hour`, {
        headers: { authorization: `Bearer ${adminKey}` },
      }),
    );
    expect(openedUsage.database_state).toBeUndefined();
    expect(openedUsage.totals.requests).toBe(1);
  }, 120_000);

  it('answers a dev request with 503 when the dev database cannot open, stays ready for prod, backs off, and recovers', async () => {
    let now = 1_000_000;
    server = await startTestServer({ databaseClock: () => now });
    const devDir = join(server.dataDir, 'dev');
    // A file where the dev data dir should be: opening it fails.
    await writeFile(devDir, 'not a directory');
    const devKey = await server.createKey('dev');
    const prodKey = await server.createKey('prod');

    const refused = await chat(devKey);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('x-environment')).toBe('dev');
    // The first failure's backoff: 2 s.
    expect(refused.headers.get('retry-after')).toBe('2');
    const error = await readJson(refused);
    expect(error.error.code).toBe('SY_ERR_DEPENDENCY_UNAVAILABLE');
    expect(error.error.message).toBe('The dev database could not be opened; retry shortly');

    // Only dev is down: still ready (a load balancer keeps the process for prod), marked degraded.
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    const body = await readJson(ready);
    expect(body).toMatchObject({ status: 'ready', degraded: true });
    expect(body.checks.database_prod.ok).toBe(true);
    expect(body.checks.database_dev).toMatchObject({ ok: false, state: 'failed', required: false });
    expect(body.checks.database_dev.error).toContain('EEXIST');

    // The process is still up and prod is unaffected.
    expect((await chat(prodKey)).status).toBe(200);

    // The cause is gone, but within the backoff a dev request is refused without trying the open.
    await rm(devDir);
    now += 1_500;
    const backingOff = await chat(devKey);
    expect(backingOff.status).toBe(503);
    expect(backingOff.headers.get('retry-after')).toBe('1');
    await backingOff.text();
    expect(existsSync(devDir)).toBe(false);

    // After it, the next dev request opens it.
    now += 500;
    expect((await chat(devKey)).status).toBe(200);
    const recovered = await readJson(await fetch(`${server.url}/ready`));
    expect(recovered).toMatchObject({ status: 'ready', degraded: false });
    expect(recovered.checks.database_dev).toMatchObject({ ok: true, state: 'open' });
  }, 120_000);
});
