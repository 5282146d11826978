import { Writable } from 'node:stream';
import { createSecretScrubber, SwitchyardError } from '@switchyard/core';
import { createTemplateRepository, openDatabase, type SwitchyardDatabase } from '@switchyard/db';
import { createTestPostgresDatabase, probePostgres } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../infrastructure/logger';
import { errorBody, errorLogLine, normalizeError } from './error-handler';

const postgres = await probePostgres();
const marker = 'db-marker-8c2d';

/**
 * Behind the request hook (text-input.ts): should text with U+0000 reach PostgreSQL by another path,
 * its refusal is still a 400, and the log line of it carries no query values.
 */
describe.skipIf(!postgres.available)('a PostgreSQL refusal of unstorable text (real server)', () => {
  let database: SwitchyardDatabase;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const created = await createTestPostgresDatabase();
    if (!created) throw new Error('PostgreSQL answered the probe but no database could be created');
    drop = created.drop;
    database = await openDatabase({ kind: 'postgres', url: created.url });
  });

  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('becomes 400 SY_ERR_INVALID_TEXT, and its log line holds no parameter', async () => {
    const thrown = await createTemplateRepository(database.db)
      .create({ id: 'tpl_nul', userId: 'user-1', name: `${marker}\u0000`, body: 'b', description: null })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(thrown).toBeInstanceOf(Error);
    // What drizzle throws does carry the values: the serializer has something to remove.
    expect(String((thrown as Error).message)).toContain(marker);

    const normalized = normalizeError(thrown);
    expect(normalized.status).toBe(400);
    expect(normalized.code).toBe('SY_ERR_INVALID_TEXT');
    expect(JSON.stringify(errorBody(normalized, false, createSecretScrubber([])))).not.toContain(marker);

    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    logger.error({ err: thrown }, 'request failed');
    logger.error({ err: new SwitchyardError('SY_ERR_INTERNAL', 'Internal', { cause: thrown }) }, 'request failed');
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(marker);
    expect(lines.join('')).toContain('prompt_templates');
  });
});

describe('normalizeError', () => {
  it('maps the PostgreSQL codes for unstorable text found anywhere in the cause chain', () => {
    for (const code of ['22021', '22P05']) {
      const cause = Object.assign(new Error('invalid byte sequence'), { code });
      const wrapped = new SwitchyardError('SY_ERR_INTERNAL', 'x', { cause: new Error('Failed query', { cause }) });
      expect(normalizeError(wrapped)).toMatchObject({ status: 400, code: 'SY_ERR_INVALID_TEXT' });
    }
    expect(normalizeError(Object.assign(new Error('other'), { code: '23505' })).code).toBe('SY_ERR_INTERNAL');
  });
});

describe('errorLogLine', () => {
  it('logs a drain refusal as one info line without the stack, and a bug as an error with it', () => {
    const drain = new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'The server is shutting down; retry the request');
    expect(errorLogLine(normalizeError(drain), drain)).toEqual({
      level: 'info',
      fields: { code: 'SY_ERR_SHUTTING_DOWN', status: 503 },
      message: 'The server is shutting down; retry the request',
    });
    const bug = new TypeError('x is undefined');
    const line = errorLogLine(normalizeError(bug), bug);
    expect(line.level).toBe('error');
    expect(line.fields.err).toBe(bug);
    const outage = new SwitchyardError('SY_ERR_DEPENDENCY_UNAVAILABLE', 'Database unavailable', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    });
    expect(errorLogLine(normalizeError(outage), outage)).toMatchObject({
      level: 'warn',
      fields: { reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432' },
    });
    const refusal = new SwitchyardError('SY_ERR_INVALID_JSON', 'bad');
    expect(errorLogLine(normalizeError(refusal), refusal).level).toBe('info');
  });
});
