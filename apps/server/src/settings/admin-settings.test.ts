import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let adminKey: string;

beforeAll(async () => {
  server = await startTestServer();
  adminKey = await server.createKey('prod', { admin: true, name: 'admin' });
});

afterAll(async () => {
  await server?.destroy();
});

const putSetting = (key: string, value: unknown, apiKey = adminKey) =>
  fetch(`${server.url}/v1/admin/settings/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ value }),
  });

describe('settings API', () => {
  it('lists every setting with type, description and default', async () => {
    const response = await fetch(`${server.url}/v1/admin/settings`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const { settings } = await readJson(response);
    const keys = settings.map((setting: { key: string }) => setting.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'rate_limit.chat.prod',
        'rate_limit.chat.dev',
        'rate_limit.image.prod',
        'rate_limit.image.dev',
        'ai.image.max_per_day_free.prod',
        'ai.image.max_per_day_free.dev',
      ]),
    );
    const chatDev = settings.find((setting: { key: string }) => setting.key === 'rate_limit.chat.dev');
    expect(chatDev).toMatchObject({ type: 'integer', default: 60 });
    expect(chatDev.description).toMatch(/per minute/);
  });

  it('rejects unknown keys, wrong types, out-of-range values and missing values', async () => {
    const unknown = await putSetting('rate_limit.chat.staging', 5);
    expect(unknown.status).toBe(404);
    expect((await readJson(unknown)).error.code).toBe('SY_ERR_SETTING_NOT_FOUND');
    for (const value of ['fast', 1.5, -1, null, true]) {
      const response = await putSetting('rate_limit.chat.dev', value);
      expect(response.status).toBe(400);
      expect((await readJson(response)).error.code).toBe('SY_ERR_VALIDATION');
    }
    const missing = await fetch(`${server.url}/v1/admin/settings/rate_limit.chat.dev`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: '{}',
    });
    expect(missing.status).toBe(400);
  });

  it('a non-admin key cannot change settings', async () => {
    const response = await putSetting('rate_limit.chat.dev', 1000, await server.createKey('dev'));
    expect(response.status).toBe(403);
  });
});
