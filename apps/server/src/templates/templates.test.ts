import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let alice: Browser;

beforeAll(async () => {
  server = await startTestServer();
  alice = (await signUpUser(server.url, 'alice')).browser;
});

afterAll(async () => {
  await server?.destroy();
});

describe('prompt templates', () => {
  it('renders {{variables}} and names the missing ones', async () => {
    const created = await alice.post('/api/templates', {
      name: 'Summary',
      body: 'Summarize {{ topic }} for {{audience}} in {{topic}} terms',
    });
    expect(created.status).toBe(201);
    const template = await readJson(created);
    expect(template.variables).toEqual(['topic', 'audience']);

    const missing = await alice.post(`/api/templates/${template.id}/render`, { variables: { topic: 'tides' } });
    expect(missing.status).toBe(400);
    expect((await readJson(missing)).error.message).toContain('audience');

    const rendered = await alice.post(`/api/templates/${template.id}/render`, {
      variables: { topic: 'tides', audience: 'sailors' },
    });
    expect(await readJson(rendered)).toEqual({ text: 'Summarize tides for sailors in tides terms' });

    const updated = await alice.request('PATCH', `/api/templates/${template.id}`, { body: { body: 'Hi {{name}}' } });
    expect((await readJson(updated)).variables).toEqual(['name']);
    expect((await readJson(await alice.get('/api/templates'))).templates.length).toBeGreaterThan(0);
    expect((await alice.request('DELETE', `/api/templates/${template.id}`)).status).toBe(204);
    expect((await alice.get(`/api/templates/${template.id}`)).status).toBe(404);
  });
});
