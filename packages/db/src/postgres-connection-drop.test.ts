import { createTestPostgresDatabase, probePostgres, startTcpProxy } from '@switchyard/testkit';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './client';

const postgres = await probePostgres();

/**
 * A connection that drops while a transaction holds it (checked out of the pool, between two queries)
 * must fail that transaction, not the process: pg-pool leaves no 'error' listener on a client it hands out.
 */
describe.skipIf(!postgres.available)('a PostgreSQL connection dropped while checked out (real server)', () => {
  it('rejects the transaction and raises no uncaught exception', async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but no database could be created');
    const target = new URL(created.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const database = await openDatabase({ kind: 'postgres', url: proxy.rewrite(created.url) });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      let held!: () => void;
      const holding = new Promise<void>((resolve) => {
        held = resolve;
      });
      let cutDone!: () => void;
      const cut = new Promise<void>((resolve) => {
        cutDone = resolve;
      });
      const transaction = database.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT 1`);
        held();
        await cut;
        await tx.execute(sql`SELECT 2`);
      });
      await holding;
      // The proxy destroys the held connection. Whether the client sees its socket end before or while
      // the next query runs, pg emits 'error' on it as it fails the query: by the time the transaction
      // has rejected, that event has been emitted.
      proxy.cut();
      cutDone();
      await expect(transaction).rejects.toThrow();
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      proxy.restore();
      await database.close();
      await proxy.close();
      await created.drop();
    }
  });
});
