import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@switchyard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogFile, createLogger } from './logger';

let directory: string | undefined;
afterEach(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('LOG_FILE', () => {
  it('is parsed with its rotation settings, and bad sizes are refused', () => {
    const config = loadConfig({
      LOG_FILE: '/var/log/switchyard/switchyard.log',
      LOG_FILE_MAX_SIZE: '10M',
      LOG_FILE_KEEP: '3',
    });
    expect(config.observability?.logFile).toEqual({
      path: '/var/log/switchyard/switchyard.log',
      maxSize: '10M',
      keep: 3,
    });
    expect(() => loadConfig({ LOG_FILE: 'x.log', LOG_FILE_MAX_SIZE: 'ten megs' })).toThrow(/LOG_FILE_MAX_SIZE/);
    expect(loadConfig({}).observability?.logFile).toBeNull();
  });

  it('rotates by size, keeps the current file under its own name and only `keep` old ones', async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-logs-'));
    const path = join(directory, 'nested', 'switchyard.log');
    const stream = createLogFile({ path, maxSize: '1K', keep: 2 }) as NodeJS.WritableStream & NodeJS.EventEmitter;
    const logger = createLogger('info', stream);
    // The third rotation makes one file too many: it is removed (the 'removed' event says when).
    const removed = once(stream, 'removed');
    for (let round = 0; round < 3; round += 1) {
      const rotated = once(stream, 'rotated');
      for (let line = 0; line < 12; line += 1) logger.info({ round, line, filler: 'x'.repeat(80) }, 'filler');
      await rotated;
    }
    await removed;
    logger.info('after the rotations');
    stream.end();
    await once(stream, 'finish');
    const files = (await readdir(join(directory, 'nested'))).sort();
    expect(files).toContain('switchyard.log');
    // Three rotations, two kept.
    expect(files.filter((name) => /^switchyard\.log\.\d{4}-/.test(name))).toHaveLength(2);
    expect(files).toContain('.switchyard.log.history');
    const current = await readFile(path, 'utf8');
    expect(current).toContain('after the rotations');
    for (const line of current.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
});
