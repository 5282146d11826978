import { hashApiKey } from '@switchyard/core';
import { createServerModeEnvironment, type ServerModeEnvironment, serverModeAvailable } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

const available = await serverModeAvailable('key revocation across processes');

describe.skipIf(!available)('a key revoked on one process', () => {
  let environment: ServerModeEnvironment;
  let serverA: TestServer;
  let serverB: TestServer;

  beforeAll(async () => {
    environment = await createServerModeEnvironment();
    serverA = await startTestServer({ variables: environment.variables });
    serverB = await startTestServer({ variables: environment.variables });
  });
  afterAll(async () => {
    await serverA?.destroy();
    await serverB?.destroy();
    await environment?.drop();
  });

  it('is refused by every other process on its next request, before any change notification arrives', async () => {
    const adminKey = await serverA.createKey('prod', { admin: true });
    const keys = await Promise.all(Array.from({ length: 20 }, () => serverA.createKey('dev', { name: 'short-lived' })));
    // Process B knows and accepts every key.
    for (const key of keys) expect((await keyRequest(serverB.url, key, 'GET', '/v1/status')).status).toBe(200);

    // Model a notification that is slow or lost: B's reloads on notification (and on its timer) never finish.
    const notified = vi.spyOn(serverB.parts.keys, 'reload').mockImplementation(() => new Promise<void>(() => {}));
    let refused = 0;
    for (const key of keys) {
      const id = serverA.parts.keys.findByHash(hashApiKey(key))?.id;
      const revoked = await keyRequest(serverA.url, adminKey, 'DELETE', `/v1/admin/keys/${id}`);
      expect(revoked.status).toBe(200);
      // The very next request, on the other process.
      const response = await keyRequest(serverB.url, key, 'GET', '/v1/status');
      if (response.status === 401 && (await readJson(response)).error.code === 'SY_ERR_API_KEY_REVOKED') refused += 1;
    }
    expect(refused).toBe(20);
    expect(notified).toHaveBeenCalled();
    notified.mockRestore();
  });

  it('leaves unrevoked keys working on every process', async () => {
    const key = await serverA.createKey('dev', { name: 'still good' });
    expect((await keyRequest(serverB.url, key, 'GET', '/v1/status')).status).toBe(200);
    expect((await keyRequest(serverA.url, key, 'GET', '/v1/status')).status).toBe(200);
  });
});
