import { Writable } from 'node:stream';
import { createSecretScrubber, SwitchyardError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture(secrets: readonly string[] = []) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('info', sink, { secrets: createSecretScrubber(secrets) }) };
}

/** The shape drizzle gives a failed query: the SQL, its parameters in the message and in `params`. */
function failedQuery(value: string): Error {
  const cause = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
    code: '22021',
    detail: `Key (title)=(${value}) is bad`,
  });
  return Object.assign(
    new Error(`Failed query: insert into "conversations" ("title") values ($1)\nparams: ${value},user-1`, { cause }),
    { query: 'insert into "conversations" ("title") values ($1)', params: [value, 'user-1'] },
  );
}

describe('logger', () => {
  it('scrubs configured secrets from any field, message and error of a line', () => {
    const { lines, logger } = capture(['header-secret-0123456789', 'quote"secret-value']);
    logger.info({ upstream: { echoed: 'header-secret-0123456789' } }, 'upstream said header-secret-0123456789');
    logger.error({ err: new SwitchyardError('SY_ERR_UPSTREAM', 'key quote"secret-value refused') }, 'failed');
    const text = lines.join('');
    expect(text).not.toContain('header-secret-0123456789');
    expect(text).not.toContain('secret-value');
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(3);
  });

  it('never writes the parameters of a failed database query, nested as a cause or not', () => {
    const marker = 'user-content-marker-42';
    const { lines, logger } = capture();
    logger.error({ err: failedQuery(marker) }, 'query failed');
    logger.error({ err: new SwitchyardError('SY_ERR_INTERNAL', 'Internal', { cause: failedQuery(marker) }) }, 'x');
    const text = lines.join('');
    expect(text).not.toContain(marker);
    // What is left still says what failed and where.
    expect(text).toContain('Failed query: insert into');
    expect(text).toContain('invalid byte sequence');
    expect(text).toContain('logger.test.ts');
  });
});
