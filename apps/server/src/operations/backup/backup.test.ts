import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, noSecrets, type SwitchyardConfig } from '@switchyard/core';
import { codeMigrationLevel, createKeyRepository, wipePostgresDatabase } from '@switchyard/db';
import { createTestPostgresDatabase, probePostgres, startTestS3Server } from '@switchyard/testkit';
import { pino } from 'pino';
import { create as createTar } from 'tar';
import { describe, expect, it } from 'vitest';
import { closeDatabases, openDatabases } from '../../infrastructure/databases';
import { closeObjectStore, openObjectStore } from '../../infrastructure/object-store';
import { createKeyService } from '../../keys/key-service';
import { createBackup, restoreBackup, verifyBackup } from './backup-service';

const logger = pino({ level: 'silent' });
const postgres = await probePostgres();

/** Writes one key and two objects, backs up, wipes everything, restores, and checks they are back. */
async function roundTrip(config: SwitchyardConfig, wipe: () => Promise<void>) {
  const databases = await openDatabases(config);
  const storage = await openObjectStore(config, logger);
  const keys = createKeyService(createKeyRepository(databases.prod.db), async () => {});
  const created = await keys.create({ name: 'kept across restore', environment: 'prod', admin: false });
  await storage.put('images/prod/one.png', Buffer.from('first object'), {
    contentType: 'image/png',
    metadata: { owner: 'u1' },
  });
  await storage.put('files/dev/two.txt', Buffer.from('second object'), { contentType: 'text/plain' });
  const backup = await createBackup({
    config,
    databases,
    storage,
    secrets: noSecrets,
    now: () => new Date('2026-12-03T02:30:00Z'),
  });
  expect(backup.path).toBe(join(config.backup.dir, 'switchyard-backup-2026-12-03T02-30-00Z.tar.gz'));
  expect(backup.manifest.schema.prod).toEqual(codeMigrationLevel());
  expect(backup.manifest.storage.objects).toBe(2);
  expect(backup.manifest.files.every((file) => /^[0-9a-f]{64}$/.test(file.sha256))).toBe(true);

  // After the backup: a key and an object that the restore must take away again.
  await keys.create({ name: 'made after the backup', environment: 'prod', admin: false });
  await storage.put('images/prod/later.png', Buffer.from('later'), { contentType: 'image/png' });
  await closeDatabases(databases);
  await wipe();

  await restoreBackup(backup.path, { config, storage, secrets: noSecrets, wipePostgres: wipePostgresDatabase });
  const reopened = await openDatabases(config);
  try {
    const restoredKeys = await createKeyService(createKeyRepository(reopened.prod.db), async () => {}).list();
    expect(restoredKeys.map((key) => key.name)).toEqual(['kept across restore']);
    expect(restoredKeys[0]?.id).toBe(created.record.id);
    const one = await storage.getBuffer('images/prod/one.png');
    expect(one.body.toString()).toBe('first object');
    expect(one.info).toMatchObject({ contentType: 'image/png', metadata: { owner: 'u1' } });
    expect((await storage.getBuffer('files/dev/two.txt')).body.toString()).toBe('second object');
    expect(await storage.head('images/prod/later.png')).toBeUndefined();
  } finally {
    await closeDatabases(reopened);
    closeObjectStore(storage);
  }
  return backup;
}

/** The archive with its manifest changed (and repacked), or one file's bytes changed. */
async function tampered(
  archive: string,
  change: { manifest?: (manifest: { schema: { dev: { latest: number; tag: string } } }) => void; damage?: string },
) {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-tamper-'));
  const { extract } = await import('tar');
  await extract({ file: archive, cwd: directory });
  if (change.manifest) {
    const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8'));
    change.manifest(manifest);
    writeFileSync(join(directory, 'manifest.json'), JSON.stringify(manifest));
  }
  if (change.damage) writeFileSync(join(directory, change.damage), 'not what was backed up');
  const output = join(directory, '..', `${directory.split('/').at(-1)}.tar.gz`);
  await createTar({ gzip: true, file: output, cwd: directory }, readdirSync(directory));
  return output;
}

describe('backup → wipe → restore', () => {
  it('embedded: PGlite databases and the object directory', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-backup-embedded-'));
    const config = loadConfig({ SWITCHYARD_DATA_DIR: dataDir }, dataDir);
    const backup = await roundTrip(config, async () => {
      for (const name of ['prod', 'dev', 'objects']) rmSync(join(dataDir, name), { recursive: true, force: true });
    });

    // A backup from a newer schema, a damaged file or a stray file is refused before anything changes.
    const newer = await tampered(backup.path, {
      manifest: (manifest) => {
        manifest.schema.dev.latest = Date.parse('2099-01-01');
        manifest.schema.dev.tag = '0099_future';
      },
    });
    await expect(verifyBackup(newer)).rejects.toThrow(/comes from a newer schema \(dev: 0099_future/);
    const damaged = await tampered(backup.path, { damage: 'objects/00000000' });
    await expect(restoreBackup(damaged, { config, storage: null as never, secrets: noSecrets })).rejects.toThrow(
      /checksum mismatch in objects\/00000000; the backup is damaged/,
    );
    await expect(verifyBackup(join(dataDir, 'nothing.tar.gz'))).rejects.toThrow(/not a Switchyard backup archive/);
    // An embedded backup does not go into a server-mode configuration.
    const serverConfig = loadConfig({
      DATABASE_URL: 'postgres://x@127.0.0.1:1/a',
      DEV_DATABASE_URL: 'postgres://x@127.0.0.1:1/b',
    });
    await expect(
      restoreBackup(backup.path, { config: serverConfig, storage: null as never, secrets: noSecrets }),
    ).rejects.toThrow(/is a backup of embedded mode; this configuration is server mode/);
  });

  it('server mode: PostgreSQL prod and dev (pg_dump / pg_restore) and S3', { timeout: 120_000 }, async (context) => {
    if (!postgres.available) {
      context.skip(`PostgreSQL is not reachable (${postgres.reason}); set TEST_DATABASE_URL to run this`);
      return;
    }
    const [prod, dev, s3] = await Promise.all([
      createTestPostgresDatabase(),
      createTestPostgresDatabase(),
      startTestS3Server(),
    ]);
    if (!prod || !dev) throw new Error('could not create the test databases');
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-backup-server-'));
    const config = loadConfig(
      {
        DATABASE_URL: prod.url,
        DEV_DATABASE_URL: dev.url,
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: s3.bucket,
        S3_REGION: s3.region,
        S3_ACCESS_KEY_ID: s3.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        BACKUP_DIR: join(dataDir, 'backups'),
      },
      dataDir,
    );
    try {
      const backup = await roundTrip(config, async () => {
        await wipePostgresDatabase(prod.url);
        await wipePostgresDatabase(dev.url);
      });
      expect(backup.manifest.mode).toBe('server');
      expect(backup.manifest.storage.backend).toBe('s3');
      expect(backup.manifest.files.map((file) => file.path)).toEqual(
        expect.arrayContaining(['prod.pgdump', 'dev.pgdump', 'objects.json']),
      );
    } finally {
      await Promise.all([prod.drop(), dev.drop(), s3.close()]);
    }
  });

  it('a missing pg_dump says what to install', { timeout: 30_000 }, async (context) => {
    if (!postgres.available) {
      context.skip(`PostgreSQL is not reachable (${postgres.reason})`);
      return;
    }
    const prod = await createTestPostgresDatabase();
    const dev = await createTestPostgresDatabase();
    if (!prod || !dev) throw new Error('could not create the test databases');
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-backup-nopg-'));
    const config = loadConfig(
      { DATABASE_URL: prod.url, DEV_DATABASE_URL: dev.url, PG_BIN_DIR: join(dataDir, 'nowhere') },
      dataDir,
    );
    const databases = await openDatabases(config);
    const storage = await openObjectStore(config, logger);
    try {
      await expect(createBackup({ config, databases, storage, secrets: noSecrets })).rejects.toMatchObject({
        code: 'SY_ERR_DEPENDENCY_UNAVAILABLE',
        message: expect.stringMatching(/pg_dump was not found in PG_BIN_DIR .*install the PostgreSQL client tools/),
      });
    } finally {
      await closeDatabases(databases);
      await Promise.all([prod.drop(), dev.drop()]);
    }
  });
});
