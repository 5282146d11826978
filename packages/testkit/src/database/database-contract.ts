import { readdir } from 'node:fs/promises';
import { type Environment, SwitchyardError, settingDefinitions } from '@switchyard/core';
import {
  createChatMessageRepository,
  createKeyRepository,
  createSettingsRepository,
  createUsageRepository,
  migrateDatabase,
  migrationsFolder,
  type SwitchyardDatabase,
  sqlStateOf,
  sqlStates,
  type UsageLogInsert,
  violatedConstraintOf,
} from '@switchyard/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorOf } from '../error-of';

/** Resolves with the first payload on `channel`, or rejects after `timeoutMs`. */
function nextPayload(
  database: SwitchyardDatabase,
  channel: string,
  timeoutMs = 5_000,
): Promise<{ payload: Promise<string>; unlisten: () => Promise<void> }> {
  return new Promise((resolveListening, rejectListening) => {
    let resolvePayload: (payload: string) => void = () => {};
    const payload = new Promise<string>((resolve, reject) => {
      resolvePayload = resolve;
      setTimeout(() => reject(new Error(`no notification on '${channel}' within ${timeoutMs} ms`)), timeoutMs).unref();
    });
    payload.catch(() => {});
    database
      .listen(channel, (received) => resolvePayload(received))
      .then((unlisten) => resolveListening({ payload, unlisten }), rejectListening);
  });
}

function usageRow(index: number, environment: Environment, apiKeyId: string | null): UsageLogInsert {
  return {
    environment,
    apiKeyId,
    clientIp: '203.0.113.7',
    method: 'POST',
    route: '/v1/chat/completions',
    model: 'llama3.2',
    status: index % 10 === 0 ? 429 : 200,
    latencyMs: 12.5 + index,
    promptTokens: index,
    completionTokens: null,
    // Distinct times, one second apart, so newest-first order is checkable.
    createdAt: new Date(Date.UTC(2025, 0, 1) + index * 1_000),
  };
}

/**
 * Behaviour every database backend must share. `open` returns an opened,
 * migrated database; the suite empties the tables before each test.
 */
export function describeDatabaseContract(
  backendName: string,
  open: () => Promise<SwitchyardDatabase>,
  cleanup?: () => Promise<void>,
): void {
  describe(`database contract: ${backendName}`, () => {
    let database: SwitchyardDatabase;

    beforeAll(async () => {
      database = await open();
    });

    afterAll(async () => {
      await database?.close();
      await cleanup?.();
    });

    beforeEach(async () => {
      await database.db.execute(sql`TRUNCATE api_keys, settings, api_key_usage_log, chat_messages RESTART IDENTITY`);
    });

    it('answers ping', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
    });

    it('re-applies migrations as a no-op that keeps existing data', async () => {
      const keys = createKeyRepository(database.db);
      const created = await keys.create({
        name: 'survivor',
        keyHash: 'a'.repeat(64),
        keyPrefix: 'prod_aaaaaa',
        environment: 'prod',
        isAdmin: false,
      });
      await migrateDatabase(database);
      await migrateDatabase(database);
      expect(await keys.findById(created.id)).toEqual(created);
      const migrationFiles = (await readdir(migrationsFolder)).filter((file) => file.endsWith('.sql'));
      const applied = await database.db.execute<{ total: number }>(
        sql`SELECT count(*)::int AS total FROM drizzle.__drizzle_migrations`,
      );
      expect(applied.rows[0]?.total).toBe(migrationFiles.length);
    });

    it('creates the named CHECK constraints and indexes', async () => {
      const constraints = await database.db.execute<{ conname: string }>(
        sql`SELECT conname FROM pg_constraint WHERE contype = 'c' AND conname LIKE '%environment_check' ORDER BY conname`,
      );
      // Every table that holds per-environment data carries the CHECK; later tables add to this list.
      expect(constraints.rows.map((row) => row.conname)).toEqual(
        expect.arrayContaining([
          'api_key_usage_log_environment_check',
          'api_keys_environment_check',
          'chat_messages_environment_check',
          'jobs_environment_check',
          'images_environment_check',
          'image_usage_environment_check',
        ]),
      );
      const indexes = await database.db.execute<{ indexname: string }>(
        sql`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%_idx' ORDER BY indexname`,
      );
      expect(indexes.rows.map((row) => row.indexname)).toEqual(
        expect.arrayContaining([
          'api_key_usage_log_created_at_idx',
          'api_key_usage_log_environment_idx',
          'chat_messages_environment_idx',
        ]),
      );
    });

    describe('environment columns accept only prod and dev', () => {
      const insertWithEnvironment = {
        api_keys: (environment: string) =>
          sql`INSERT INTO api_keys (id, name, key_hash, key_prefix, environment) VALUES (${environment}, 'n', ${environment}, 'p', ${environment})`,
        api_key_usage_log: (environment: string) =>
          sql`INSERT INTO api_key_usage_log (environment, method, route, status, latency_ms) VALUES (${environment}, 'GET', '/v1/models', 200, 1)`,
        chat_messages: (environment: string) =>
          sql`INSERT INTO chat_messages (id, environment, role, content) VALUES (${environment}, ${environment}, 'user', 'hi')`,
        jobs: (environment: string) =>
          sql`INSERT INTO jobs (id, name, environment, payload, status, max_attempts, run_at) VALUES (${environment}, 'test.echo', ${environment}, '{}', 'waiting', 1, now())`,
        images: (environment: string) =>
          sql`INSERT INTO images (id, environment, subject, prompt, width, height, model, status) VALUES (${environment}, ${environment}, 'ip:1', 'a cat', 512, 512, 'm', 'queued')`,
        image_usage: (environment: string) =>
          sql`INSERT INTO image_usage (environment, subject, day, count) VALUES (${environment}, 'ip:1', '2026-01-01', 1)`,
      };

      for (const [table, insert] of Object.entries(insertWithEnvironment)) {
        it(`on ${table}`, async () => {
          // 'staging' is longer than varchar(4), so the length check fires before the CHECK constraint.
          expect(sqlStateOf(await errorOf(database.db.execute(insert('staging'))))).toBe(sqlStates.valueTooLong);
          const error = await errorOf(database.db.execute(insert('test')));
          expect(sqlStateOf(error)).toBe(sqlStates.checkViolation);
          expect(violatedConstraintOf(error)).toBe(`${table}_environment_check`);
          await database.db.execute(insert('prod'));
          await database.db.execute(insert('dev'));
          const stored = await database.db.execute<{ environment: string }>(
            sql`SELECT environment FROM ${sql.identifier(table)} ORDER BY environment`,
          );
          expect(stored.rows.map((row) => row.environment)).toEqual(['dev', 'prod']);
        });
      }
    });

    describe('API keys', () => {
      const newKey = (name: string, environment: Environment = 'prod') => ({
        name,
        keyHash: `${name}-hash`.padEnd(64, '0'),
        keyPrefix: `${environment}_${name.slice(0, 6)}`,
        environment,
        isAdmin: false,
      });

      it('rejects a second key with the same hash as a conflict', async () => {
        const keys = createKeyRepository(database.db);
        await keys.create(newKey('first'));
        const error = await errorOf(keys.create({ ...newKey('first'), name: 'other name' }));
        expect(error).toBeInstanceOf(SwitchyardError);
        expect((error as SwitchyardError).code).toBe('SY_ERR_CONFLICT');
        expect(sqlStateOf(error)).toBe(sqlStates.uniqueViolation);
        expect(await keys.list({ includeRevoked: true })).toHaveLength(1);
      });

      it('creates, finds and lists keys newest first', async () => {
        const keys = createKeyRepository(database.db);
        const older = await keys.create(newKey('older', 'dev'));
        const newer = await keys.create({ ...newKey('newer'), isAdmin: true });
        expect(older).toMatchObject({
          name: 'older',
          environment: 'dev',
          keyPrefix: 'dev_older',
          isAdmin: false,
          revokedAt: null,
        });
        expect(older.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(older.createdAt).toBeInstanceOf(Date);
        expect(Math.abs(older.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        expect(newer.isAdmin).toBe(true);
        expect(await keys.findById(older.id)).toEqual(older);
        expect(await keys.findByHash(newer.keyHash)).toEqual(newer);
        expect(await keys.findById('no-such-id')).toBeUndefined();
        expect((await keys.list()).map((key) => key.name)).toEqual(['newer', 'older']);
      });

      it('revokes idempotently and hides revoked keys from the active list', async () => {
        const keys = createKeyRepository(database.db);
        const kept = await keys.create(newKey('kept'));
        const revokedKey = await keys.create(newKey('revoked'));
        const firstRevocation = await keys.revoke(revokedKey.id);
        expect(firstRevocation?.revokedAt).toBeInstanceOf(Date);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const secondRevocation = await keys.revoke(revokedKey.id);
        expect(secondRevocation?.revokedAt).toEqual(firstRevocation?.revokedAt);
        expect(await keys.revoke('no-such-id')).toBeUndefined();
        expect((await keys.listActive()).map((key) => key.id)).toEqual([kept.id]);
        expect((await keys.list()).map((key) => key.id)).toEqual([kept.id]);
        expect((await keys.list({ includeRevoked: true })).map((key) => key.id)).toEqual([revokedKey.id, kept.id]);
        expect((await keys.findById(revokedKey.id))?.revokedAt).toEqual(firstRevocation?.revokedAt);
      });
    });

    describe('settings', () => {
      it('seeds the core defaults', async () => {
        const settings = createSettingsRepository(database.db);
        await settings.seedDefaults(settingDefinitions);
        const stored = await settings.list();
        expect(stored).toHaveLength(settingDefinitions.length);
        expect(stored.map((row) => row.key)).toEqual(
          expect.arrayContaining(['rate_limit.chat.prod', 'rate_limit.chat.dev', 'ai.image.max_per_day_free.dev']),
        );
        for (const definition of settingDefinitions) {
          expect(stored.find((row) => row.key === definition.key)).toMatchObject({
            value: definition.defaultValue,
            type: definition.type,
            description: definition.description,
          });
        }
        expect(stored.find((row) => row.key === 'rate_limit.chat.prod')?.value).toBe(15);
      });

      it('re-seeding keeps changed values but refreshes type and description', async () => {
        const settings = createSettingsRepository(database.db);
        await settings.seedDefaults(settingDefinitions);
        const changed = await settings.set('rate_limit.chat.dev', 99);
        await database.db.execute(
          sql`UPDATE settings SET description = 'stale', type = 'string' WHERE key = 'rate_limit.image.prod'`,
        );
        await settings.seedDefaults(settingDefinitions);
        const stored = await settings.list();
        expect(stored.find((row) => row.key === 'rate_limit.chat.dev')).toMatchObject({
          value: 99,
          updatedAt: changed.updatedAt,
        });
        const refreshed = settingDefinitions.find((definition) => definition.key === 'rate_limit.image.prod');
        expect(stored.find((row) => row.key === 'rate_limit.image.prod')).toMatchObject({
          value: 5,
          type: refreshed?.type,
          description: refreshed?.description,
        });
      });

      it('upserts a value and moves updatedAt forward', async () => {
        const settings = createSettingsRepository(database.db);
        const inserted = await settings.set('rate_limit.image.dev', 7);
        expect(inserted).toMatchObject({ key: 'rate_limit.image.dev', value: 7, type: 'integer' });
        await new Promise((resolve) => setTimeout(resolve, 20));
        const updated = await settings.set('rate_limit.image.dev', 8);
        expect(updated.value).toBe(8);
        expect(updated.updatedAt.getTime()).toBeGreaterThan(inserted.updatedAt.getTime());
        expect(await settings.list()).toEqual([updated]);
      });

      it('stores JSON values as they are, strings that look like numbers included', async () => {
        const settings = createSettingsRepository(database.db);
        await settings.set('rate_limit.chat.prod', '123');
        expect((await settings.list())[0]?.value).toBe('123');
        await settings.set('rate_limit.chat.prod', false);
        expect((await settings.list())[0]?.value).toBe(false);
      });

      it('refuses a key that has no definition', async () => {
        const settings = createSettingsRepository(database.db);
        const error = await errorOf(settings.set('no.such.setting', 1));
        expect((error as SwitchyardError).code).toBe('SY_ERR_SETTING_NOT_FOUND');
      });
    });

    describe('usage log', () => {
      it('inserts 500 rows in one batch and filters by environment and key', async () => {
        const usage = createUsageRepository(database.db);
        const rows = Array.from({ length: 500 }, (_, index) =>
          usageRow(index, index % 5 < 2 ? 'dev' : 'prod', index % 2 === 0 ? 'key-even' : null),
        );
        await usage.insertMany(rows);
        await usage.insertMany([]);
        expect(await usage.count()).toBe(500);
        expect(await usage.count({ environment: 'dev' })).toBe(200);
        expect(await usage.count({ environment: 'prod' })).toBe(300);

        const dev = await usage.list({ environment: 'dev', limit: 1_000 });
        expect(dev).toHaveLength(200);
        expect(dev.every((row) => row.environment === 'dev')).toBe(true);
        const times = dev.map((row) => row.createdAt.getTime());
        expect(times).toEqual([...times].sort((left, right) => right - left));

        const newest = await usage.list({ limit: 3 });
        expect(newest.map((row) => row.promptTokens)).toEqual([499, 498, 497]);
        expect(newest[0]).toMatchObject({
          environment: 'prod',
          apiKeyId: null,
          clientIp: '203.0.113.7',
          method: 'POST',
          route: '/v1/chat/completions',
          model: 'llama3.2',
          status: 200,
          latencyMs: 511.5,
          completionTokens: null,
          createdAt: new Date(Date.UTC(2025, 0, 1) + 499_000),
        });
        expect(typeof newest[0]?.id).toBe('number');

        const forKey = await usage.list({ apiKeyId: 'key-even', environment: 'prod', limit: 1_000 });
        expect(forKey).toHaveLength(150);
        expect(forKey.every((row) => row.apiKeyId === 'key-even' && row.environment === 'prod')).toBe(true);
        expect(await usage.list()).toHaveLength(100);
      });

      it('writes a batch all or nothing', async () => {
        const usage = createUsageRepository(database.db);
        const rows = [usageRow(1, 'prod', null), { ...usageRow(2, 'prod', null), environment: 'test' as Environment }];
        expect(sqlStateOf(await errorOf(usage.insertMany(rows)))).toBe(sqlStates.checkViolation);
        expect(await usage.count()).toBe(0);
      });

      it('defaults createdAt to the insert time', async () => {
        const usage = createUsageRepository(database.db);
        const { createdAt: _ignored, ...withoutTime } = usageRow(1, 'dev', 'key-1');
        await usage.insertMany([withoutTime]);
        const [row] = await usage.list();
        expect(Math.abs((row?.createdAt.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
      });
    });

    describe('chat messages', () => {
      it('lists a conversation in the order it was written', async () => {
        const messages = createChatMessageRepository(database.db);
        const conversation = Array.from({ length: 20 }, (_, index) => ({
          environment: 'dev' as const,
          apiKeyId: 'key-1',
          conversationId: 'conversation-a',
          role: index % 2 === 0 ? 'user' : 'assistant',
          content: `message ${index}`,
          model: index % 2 === 0 ? null : 'llama3.2',
          promptTokens: null,
          completionTokens: index % 2 === 0 ? null : 10,
        }));
        await messages.insertMany([
          ...conversation.slice(0, 10),
          { environment: 'dev', conversationId: 'conversation-b', role: 'user', content: 'elsewhere' },
        ]);
        await messages.insertMany(conversation.slice(10));
        await messages.insertMany([]);
        const listed = await messages.listByConversation('conversation-a');
        expect(listed.map((message) => message.content)).toEqual(conversation.map((message) => message.content));
        expect(listed[1]).toMatchObject({ role: 'assistant', model: 'llama3.2', completionTokens: 10 });
        expect(listed[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await messages.listByConversation('conversation-b')).toHaveLength(1);
        expect(await messages.listByConversation('conversation-none')).toEqual([]);
      });
    });

    describe('listen and notify', () => {
      it('delivers a payload to the listener', async () => {
        const { payload, unlisten } = await nextPayload(database, 'sy_contract_delivery');
        await database.notify('sy_contract_delivery', 'hello "world" ✓');
        await expect(payload).resolves.toBe('hello "world" ✓');
        await unlisten();
      });

      it('stops delivery after unlisten', async () => {
        const received: string[] = [];
        const unlisten = await database.listen('sy_contract_stopped', (payload) => received.push(payload));
        await database.notify('sy_contract_stopped', 'before');
        const before = await nextPayload(database, 'sy_contract_marker');
        await database.notify('sy_contract_marker', 'one');
        await before.payload;
        expect(received).toEqual(['before']);

        await unlisten();
        await database.notify('sy_contract_stopped', 'after');
        // Notifications arrive in commit order: once this later marker is
        // delivered, 'after' would already have been.
        const after = await nextPayload(database, 'sy_contract_marker_two');
        await database.notify('sy_contract_marker_two', 'done');
        await after.payload;
        expect(received).toEqual(['before']);
        await before.unlisten();
        await after.unlisten();
      });

      it('rejects channel names that are not plain identifiers', async () => {
        await expect(database.listen('bad channel; DROP TABLE settings', () => {})).rejects.toThrow(/Invalid/);
        await expect(database.notify('Upper', 'x')).rejects.toThrow(/Invalid/);
      });
    });
  });
}
