import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoredResponsesRepository, openDatabase } from '@switchyard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Databases } from '../infrastructure/databases';
import { purgeStoredResponses } from './stored-responses';

describe('the stored-responses purge (system schedule)', () => {
  let directory: string;
  let databases: Databases;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-responses-purge-'));
    databases = {
      prod: await openDatabase({ kind: 'pglite', dataDir: join(directory, 'prod') }),
      dev: await openDatabase({ kind: 'pglite', dataDir: join(directory, 'dev'), lazy: true }),
    };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([databases?.prod.close(), databases?.dev.close()]);
    await rm(directory, { recursive: true, force: true });
  });

  it('deletes only expired answers, and leaves an unopened embedded dev database closed', async () => {
    const prod = createStoredResponsesRepository(databases.prod.db);
    const record = (id: string) => ({ id, owner: 'key:1', model: 'm', conversation: [], response: {} });
    const now = new Date('2026-12-03T12:00:00Z');
    await prod.save(record('resp_old'), new Date('2026-12-03T11:59:59Z'));
    await prod.save(record('resp_new'), new Date('2026-12-03T12:00:01Z'));

    expect(databases.dev.opened()).toBe(false);
    expect(await purgeStoredResponses(databases, now)).toBe(1);
    expect(databases.dev.opened()).toBe(false);
    expect(await prod.find('resp_old', 'key:1', new Date(0))).toBeNull();
    expect(await prod.find('resp_new', 'key:1', now)).not.toBeNull();

    // Once dev is in use, its expired answers go too.
    await createStoredResponsesRepository(databases.dev.db).save(record('resp_dev'), new Date('2026-12-01T00:00:00Z'));
    expect(databases.dev.opened()).toBe(true);
    expect(await purgeStoredResponses(databases, now)).toBe(1);
  }, 60_000);
});
