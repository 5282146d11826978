import { displayPrefixOfKey, generateApiKey, hashApiKey } from '@switchyard/core';
import { createKeyRepository } from '@switchyard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.destroy());

const status = async (key: string) =>
  (await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${key}` } })).status;

describe('a key created elsewhere a moment ago', () => {
  it('works on its first request, before any change notification reaches this process', async () => {
    // Straight into the database, as another process or the CLI would, and no announcement.
    const key = generateApiKey('dev');
    await createKeyRepository(server.parts.databases.prod.db).create({
      name: 'made elsewhere',
      keyHash: hashApiKey(key),
      keyPrefix: displayPrefixOfKey(key),
      environment: 'dev',
      isAdmin: false,
      scopes: ['chat'],
      userId: null,
    });
    expect(server.parts.keys.findByHash(hashApiKey(key))).toBeUndefined();
    expect(await status(key)).toBe(200);
  });

  it('still refuses keys that exist nowhere, with the same 401', async () => {
    expect(await status(generateApiKey('prod'))).toBe(401);
    expect(await status(generateApiKey('dev'))).toBe(401);
  });
});
