import { createUsageRepository } from '@switchyard/db';
import { startFakeOpenAI } from '@switchyard/testkit';
import { expect, it } from 'vitest';
import { startTestServer } from '../testing/test-server';

it('writes a 499 usage row for a request whose client left before the answer', async () => {
  const upstream = await startFakeOpenAI();
  upstream.setBehaviour({ kind: 'delay', ms: 2_000 });
  const server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'slow', type: 'openai-compatible', baseURL: upstream.url }],
      models: [{ id: 'slow', provider: 'slow', upstreamModel: 'gpt-4o-mini' }],
    },
  });
  try {
    const key = await server.createKey('dev');
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'never mind' }] }),
      signal: controller.signal,
    }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await pending;
    const started = Date.now();
    let rows: Awaited<ReturnType<ReturnType<typeof createUsageRepository>['list']>> = [];
    while (rows.length === 0 && Date.now() - started < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await server.parts.usage.flush();
      rows = await createUsageRepository(server.parts.databases.dev.db).list({ environment: 'dev' });
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 499, model: 'slow', route: '/v1/chat/completions' });
    expect(rows[0]?.latencyMs).toBeGreaterThan(200);
  } finally {
    await server.destroy();
    await upstream.close();
  }
});
