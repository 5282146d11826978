import { redisAvailable, startFakeOpenAI, testRedisUrl } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer } from '../testing/test-server';

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] key rotation across processes: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('multi-key rotation shared through Redis by two servers', () => {
  it('spreads 30 requests over three 10-rpm keys across both servers, then has no key for the 31st', async () => {
    const upstream = await startFakeOpenAI();
    const providerId = `shared-${Math.random().toString(36).slice(2, 10)}`;
    const config = {
      ollama: { autodetect: false },
      providers: [
        {
          id: providerId,
          type: 'openai-compatible',
          baseURL: upstream.url,
          apiKeys: ['sk-a', 'sk-b', 'sk-c'],
          keyRpm: 10,
        },
      ],
      models: [{ id: 'pooled', provider: providerId, upstreamModel: 'gpt-4o-mini' }],
      routing: { maxAttempts: 1 },
    };
    const first = await startTestServer({ config, variables: { REDIS_URL: testRedisUrl() } });
    const second = await startTestServer({ config, variables: { REDIS_URL: testRedisUrl() } });
    try {
      const keys = [await first.createKey('dev'), await second.createKey('dev')];
      const ask = (index: number) =>
        fetch(`${(index % 2 === 0 ? first : second).url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[index % 2]}` },
          body: JSON.stringify({ model: 'pooled', messages: [{ role: 'user', content: `request ${index}` }] }),
        });
      for (let index = 0; index < 30; index += 1) expect((await ask(index)).status).toBe(200);
      const used = upstream.requests.map((request) => request.headers.authorization);
      expect(
        ['Bearer sk-a', 'Bearer sk-b', 'Bearer sk-c'].map((key) => used.filter((value) => value === key).length),
      ).toEqual([10, 10, 10]);
      const exhausted = await ask(30);
      expect(exhausted.status).toBe(429);
      expect((await readJson(exhausted)).error.code).toBe('SY_ERR_UPSTREAM_RATE_LIMITED');
      expect(Number(exhausted.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(upstream.requests).toHaveLength(30);

      // A cooldown set by one server is honoured by the other.
      const keyIds = first.parts.models.resolve('pooled')?.deployments[0]?.provider.keyIds ?? [];
      await first.parts.keyPools.coolDown(providerId, keyIds[0] ?? '', Date.now() + 60_000);
      const state = await second.parts.keyPools.inspect(providerId, keyIds);
      expect(state[0]?.coolingUntil).toBeGreaterThan(Date.now() + 50_000);
    } finally {
      await first.destroy();
      await second.destroy();
      await upstream.close();
    }
  });
});
