import { keyWindowOf } from '@switchyard/core';
import { redisAvailable, startFakeOpenAI, testRedisUrl } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer } from '../testing/test-server';

const hasRedis = await redisAvailable();
if (!hasRedis) console.warn(`[skip] key rotation across processes: no Redis at ${testRedisUrl()} (set TEST_REDIS_URL)`);

describe.skipIf(!hasRedis)('multi-key rotation shared through Redis by two servers', () => {
  it('spreads 30 requests over three 10-rpm keys across both servers, then has no key for the 31st', async () => {
    // Keys are counted per fixed clock minute: a run whose 31 requests straddle a minute boundary starts
    // counting again halfway, so it proves nothing and is run again (new provider id, new counters).
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await rotateOnce();
      if (outcome === 'within one minute') return;
      if (attempt === 3) throw new Error('three runs in a row straddled a minute boundary');
    }
  }, 120_000);
});

/** The scenario; checks run only when every request fell in one key window. */
async function rotateOnce(): Promise<'within one minute' | 'straddled a minute'> {
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
    const window = keyWindowOf(Date.now());
    const statuses: number[] = [];
    for (let index = 0; index < 30; index += 1) statuses.push((await ask(index)).status);
    const exhausted = await ask(30);
    if (keyWindowOf(Date.now()) !== window) return 'straddled a minute';
    expect(statuses).toEqual(Array.from({ length: 30 }, () => 200));
    const used = upstream.requests.map((request) => request.headers.authorization);
    expect(
      ['Bearer sk-a', 'Bearer sk-b', 'Bearer sk-c'].map((key) => used.filter((value) => value === key).length),
    ).toEqual([10, 10, 10]);
    expect(exhausted.status).toBe(429);
    expect((await readJson(exhausted)).error.code).toBe('SY_ERR_UPSTREAM_RATE_LIMITED');
    expect(Number(exhausted.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(upstream.requests).toHaveLength(30);

    // A cooldown set by one server is honoured by the other.
    const keyIds = first.parts.models.resolve('pooled')?.deployments[0]?.provider.keyIds ?? [];
    await first.parts.keyPools.coolDown(providerId, keyIds[0] ?? '', Date.now() + 60_000);
    const state = await second.parts.keyPools.inspect(providerId, keyIds);
    expect(state[0]?.coolingUntil).toBeGreaterThan(Date.now() + 50_000);
    return 'within one minute';
  } finally {
    await first.destroy();
    await second.destroy();
    await upstream.close();
  }
}
