import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@switchyard/core';
import { probePostgresUrl } from '@switchyard/db';
import {
  amqpAvailable,
  probePostgres,
  redisAvailable,
  startFakeOpenAI,
  testAmqpUrl,
  testRedisUrl,
} from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli-process';
import { formatDoctorReport, maskedConfig, postgresMajor, runDoctor } from './doctor';

const [postgres, redisUp, amqpUp] = await Promise.all([probePostgres(), redisAvailable(), amqpAvailable()]);
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = testRedisUrl();

function configDirectory(yaml: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-doctor-'));
  writeFileSync(join(directory, 'switchyard.config.yaml'), yaml);
  return directory;
}

describe('switchyard doctor', () => {
  it('reaches the real local services and a provider', { timeout: 30_000 }, async (context) => {
    if (!postgres.available || !redisUp || !amqpUp) {
      context.skip(
        'PostgreSQL, Redis or RabbitMQ is not reachable; set TEST_DATABASE_URL, TEST_REDIS_URL, TEST_AMQP_URL',
      );
      return;
    }
    const upstream = await startFakeOpenAI({ apiKey: 'sk-doctor-test-key-000001' });
    const directory = configDirectory(
      `providers:\n  - id: local\n    type: openai-compatible\n    baseURL: ${upstream.url}\n    apiKey: sk-doctor-test-key-000001\n`,
    );
    try {
      const config = loadConfig(
        {
          DATABASE_URL: databaseUrl,
          DEV_DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          EVENTS_URL: testAmqpUrl(),
          SWITCHYARD_DATA_DIR: directory,
        },
        directory,
      );
      const checks = await runDoctor(config);
      expect(checks.map((item) => [item.name, item.ok])).toEqual([
        ['database (prod)', true],
        ['database (dev)', true],
        ['backup tools', true],
        ['redis', true],
        ['events broker', true],
        ['object storage', true],
        ['provider local', true],
      ]);
      expect(checks[0]?.detail).toMatch(/^PostgreSQL \d+/);
      // pg_dump's own version, and the servers' majors it was compared with.
      expect(checks[2]?.detail).toMatch(/^pg_dump \(PostgreSQL\) \d+\.\d+.*; servers: PostgreSQL \d+$/);
      expect(checks[6]?.detail).toMatch(/1 models$/);
      expect(formatDoctorReport(checks)).toMatch(/All checks passed\.\n$/);
    } finally {
      await upstream.close();
    }
  });

  it('fails the backup tools when pg_dump is of an older major than the server, and names both', async (context) => {
    if (!postgres.available) {
      context.skip('PostgreSQL is not reachable; set TEST_DATABASE_URL');
      return;
    }
    const directory = configDirectory('{}\n');
    const binDir = join(directory, 'bin');
    mkdirSync(binDir);
    const fakePgDump = (version: string) =>
      writeFileSync(join(binDir, 'pg_dump'), `#!/bin/sh\necho 'pg_dump (PostgreSQL) ${version}'\n`, { mode: 0o755 });
    const config = loadConfig(
      { DATABASE_URL: databaseUrl, DEV_DATABASE_URL: databaseUrl, PG_BIN_DIR: binDir, SWITCHYARD_DATA_DIR: directory },
      directory,
    );
    const serverMajor = postgresMajor(await probePostgresUrl(databaseUrl));
    fakePgDump('9.6.24');
    const old = (await runDoctor(config)).find((item) => item.name === 'backup tools');
    expect(old?.ok).toBe(false);
    expect(old?.detail).toMatch(/pg_dump \(PostgreSQL\) 9\.6\.24 cannot dump the PostgreSQL \d+ server/);
    expect(old?.fix).toMatch(/postgresql-client/);
    fakePgDump('99.1');
    const newer = (await runDoctor(config)).find((item) => item.name === 'backup tools');
    expect(newer).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^pg_dump \(PostgreSQL\) 99\.1; servers: PostgreSQL \d+$/),
    });
    expect(newer?.detail).toContain(`servers: PostgreSQL ${serverMajor}`);
  });

  it('reads the major of every version string PostgreSQL and pg_dump print', () => {
    expect(postgresMajor('pg_dump (PostgreSQL) 16.6 (Debian 16.6-1.pgdg120+1)')).toBe(16);
    expect(postgresMajor('15.20 (Debian 15.20-0+deb12u1)')).toBe(15);
    expect(postgresMajor('pg_dump (PostgreSQL) 17beta1')).toBe(null);
    expect(postgresMajor('9.6.24')).toBe(9);
  });

  it('says what is wrong and how to fix it, without printing secrets', { timeout: 30_000 }, async () => {
    const upstream = await startFakeOpenAI({ apiKey: 'sk-the-right-key-0000001' });
    const directory = configDirectory(
      `providers:\n  - id: wrongkey\n    type: openai-compatible\n    baseURL: ${upstream.url}\n    apiKey: sk-a-wrong-key-00000000001\n`,
    );
    try {
      const config = loadConfig(
        {
          DATABASE_URL: 'postgres://switchyard:db-password-secret-1@127.0.0.1:9/switchyard',
          DEV_DATABASE_URL: 'postgres://switchyard:db-password-secret-1@127.0.0.1:9/dev',
          REDIS_URL: 'redis://127.0.0.1:9',
          EVENTS_URL: 'amqp://guest:amqp-password-secret-1@127.0.0.1:9',
          PG_BIN_DIR: join(directory, 'nowhere'),
          SWITCHYARD_DATA_DIR: directory,
        },
        directory,
      );
      const checks = await runDoctor(config);
      const failed = Object.fromEntries(checks.filter((item) => !item.ok).map((item) => [item.name, item]));
      expect(Object.keys(failed).sort()).toEqual([
        'backup tools',
        'database (dev)',
        'database (prod)',
        'events broker',
        'provider wrongkey',
        'redis',
      ]);
      expect(failed['database (prod)']?.detail).toMatch(/ECONNREFUSED/);
      expect(failed['database (prod)']?.fix).toMatch(/check DATABASE_URL/);
      expect(failed['provider wrongkey']?.fix).toMatch(/a 401 means a wrong key/);
      const report = formatDoctorReport(checks);
      expect(report).toMatch(/6 of 7 checks failed\.\n$/);
      for (const secret of ['db-password-secret-1', 'amqp-password-secret-1', 'sk-a-wrong-key-00000000001']) {
        expect(report).not.toContain(secret);
        expect(maskedConfig(config)).not.toContain(secret);
      }
      expect(maskedConfig(config)).toContain('[redacted]');
    } finally {
      await upstream.close();
    }
  });

  it('the CLI: config check masks secrets; doctor exits 1 on a broken config', { timeout: 120_000 }, async () => {
    const directory = configDirectory(
      'providers:\n  - id: openai\n    type: openai-compatible\n    baseURL: http://127.0.0.1:9/v1\n    apiKey: ${OPENAI_API_KEY}\n',
    );
    writeFileSync(join(directory, 'openai-key'), 'sk-from-a-secret-file-0000001\n');
    const variables = { OPENAI_API_KEY_FILE: join(directory, 'openai-key'), SWITCHYARD_DATA_DIR: directory };
    const [check, doctor, broken] = await Promise.all([
      runCli(['config', 'check', '--show'], { cwd: directory, variables, timeoutMs: 100_000 }),
      runCli(['doctor'], { cwd: directory, variables, timeoutMs: 100_000 }),
      runCli(['doctor'], { cwd: directory, variables: { ...variables, BACKUP_SCHEDULE: 'daily' }, timeoutMs: 100_000 }),
    ]);
    expect(check.code).toBe(0);
    expect(check.stderr).toMatch(/Configuration is valid .*embedded mode/);
    expect(check.stdout).toContain('"apiKey": "[redacted]"');
    expect(check.stdout).not.toContain('sk-from-a-secret-file-0000001');
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL {2}provider openai: .*\n {6}fix: check providers\[openai\]/);
    expect(doctor.stdout).toMatch(/ok {4}data dir: /);
    expect(doctor.stdout).not.toContain('sk-from-a-secret-file-0000001');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/FAIL {2}configuration: BACKUP_SCHEDULE must be a cron expression/);
  });
});
