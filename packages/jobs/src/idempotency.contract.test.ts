import { openDatabase } from '@switchyard/db';
import { createTestPostgresDatabase, describeIdempotencyContract, probePostgres } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { idempotencyRequestHash } from './idempotency';

describeIdempotencyContract('PGlite in memory', async () => openDatabase({ kind: 'pglite', dataDir: null }));

const postgresProbe = await probePostgres();
if (!postgresProbe.available) {
  console.warn(`[skip] idempotency contract on PostgreSQL: ${postgresProbe.reason} (set TEST_DATABASE_URL)`);
}

describe.skipIf(!postgresProbe.available)('PostgreSQL', () => {
  describeIdempotencyContract('PostgreSQL', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but not createTestPostgresDatabase');
    const database = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 10 });
    return {
      db: database.db,
      async close() {
        await database.close();
        await created.drop();
      },
    };
  });
});

describe('idempotencyRequestHash', () => {
  const request = { method: 'POST', path: '/v1/image/generate', body: { prompt: 'a fox', size: { w: 1, h: 2 } } };

  it('ignores the order of object keys but not of array items', () => {
    const reordered = { ...request, body: { size: { h: 2, w: 1 }, prompt: 'a fox' } };
    expect(idempotencyRequestHash(reordered)).toBe(idempotencyRequestHash(request));
    expect(idempotencyRequestHash({ ...request, body: [1, 2] })).not.toBe(
      idempotencyRequestHash({ ...request, body: [2, 1] }),
    );
  });

  it('binds the key to method, path and body', () => {
    const hash = idempotencyRequestHash(request);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyRequestHash({ ...request, method: 'post' })).toBe(hash);
    expect(idempotencyRequestHash({ ...request, method: 'PUT' })).not.toBe(hash);
    expect(idempotencyRequestHash({ ...request, path: '/v1/chat' })).not.toBe(hash);
    expect(idempotencyRequestHash({ ...request, body: { prompt: 'a cat', size: { w: 1, h: 2 } } })).not.toBe(hash);
    expect(idempotencyRequestHash({ ...request, body: undefined })).not.toBe(hash);
  });
});
