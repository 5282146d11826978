import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let adminKey: string;
let devKey: string;
let prodKey: string;

beforeAll(async () => {
  server = await startTestServer();
  adminKey = await server.createKey('prod', { admin: true });
  devKey = await server.createKey('dev');
  prodKey = await server.createKey('prod');
});
afterAll(() => server?.destroy());

const call = (method: string, path: string, key: string, body?: unknown) =>
  keyRequest(server.url, key, method, path, body);
const setDisabled = (environment: string, value: unknown) =>
  call('PUT', `/v1/admin/settings/models.disabled.${environment}`, adminKey, { value });
const chat = (key: string) =>
  call('POST', '/v1/chat/completions', key, { model: 'echo', messages: [{ role: 'user', content: 'hi' }] });
const listed = async (key: string) =>
  ((await (await call('GET', '/v1/models', key)).json()) as { data: Array<{ id: string }> }).data.map(
    (model) => model.id,
  );

describe('model access at run time (models.disabled.<env>)', () => {
  it('turns a model off in one environment only, and back on, without a restart', async () => {
    expect((await chat(devKey)).status).toBe(200);
    expect(await listed(devKey)).toContain('echo');

    expect((await setDisabled('dev', ' echo ')).status).toBe(200);
    const refused = await chat(devKey);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SY_ERR_MODEL_NOT_ALLOWED');
    expect(await listed(devKey)).not.toContain('echo');
    expect((await call('GET', '/v1/chat/models', devKey)).status).toBe(200);
    // prod is untouched
    expect((await chat(prodKey)).status).toBe(200);
    expect(await listed(prodKey)).toContain('echo');

    expect((await setDisabled('dev', '')).status).toBe(200);
    expect((await chat(devKey)).status).toBe(200);
  });

  it('refuses unknown models and malformed lists with a 400 that says why, keeping the old value', async () => {
    const unknown = await setDisabled('prod', 'echo, no-such-model');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('no-such-model');
    const malformed = await setDisabled('prod', 'echo;rm -rf');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('SY_ERR_VALIDATION');
    const notString = await setDisabled('prod', 3);
    expect(notString.status).toBe(400);
    expect((await chat(prodKey)).status).toBe(200);
  });
});
