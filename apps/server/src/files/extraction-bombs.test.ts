import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { makeDocx, makeDocxBomb, makePdf, makePngBomb, makeTextPng } from '../testing/documents';
import { readJson } from '../testing/read-json';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';

// Issue 12, finding 3: a 1.1 MB DOCX holding 400 MB of XML, or a 249 KB PNG of 16000×16000, used to
// be unpacked on the API's event loop (tens of seconds, gigabytes of RSS, /health blocked). Now the
// ZIP directory and the image header are read first, and extraction runs in a child process with a
// time and a memory limit. The latency bounds are generous on purpose (a loaded 2-core machine);
// before the fix /health stalled for 15 s and more.

let server: TestServer;
let alice: Browser;
let adminKey: string;
let docxBomb: Buffer;

const docxType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const unpacked = 400 * 1024 * 1024;

beforeAll(async () => {
  server = await startTestServer({ config: { ollama: { autodetect: false } } });
  alice = (await signUpUser(server.url, 'bomber')).browser;
  adminKey = await server.createKey('prod', { admin: true });
  docxBomb = await makeDocxBomb(unpacked);
}, 120_000);

afterAll(async () => {
  await server?.destroy();
});

async function withSettings<T>(settings: Record<string, number>, work: () => Promise<T>): Promise<T> {
  const defaults = await readJson(
    await fetch(`${server.url}/v1/admin/settings`, { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  const before = new Map<string, number>(
    (defaults.settings as { key: string; value: number }[]).map((setting) => [setting.key, setting.value]),
  );
  for (const [key, value] of Object.entries(settings)) await setSetting(server, adminKey, key, value);
  try {
    return await work();
  } finally {
    for (const key of Object.keys(settings)) await setSetting(server, adminKey, key, before.get(key) as number);
  }
}

interface HealthFigures {
  readonly samples: number;
  readonly maxMs: number;
  readonly p99Ms: number;
}

/**
 * Runs `work` while asking GET /health one request after another, and returns the latencies. The
 * loop ends when the work does (at least 20 samples, so a p99 is meaningful), not after a sleep.
 */
async function watchHealth<T>(label: string, work: () => Promise<T>): Promise<{ result: T; health: HealthFigures }> {
  const latencies: number[] = [];
  let done = false;
  const poll = (async () => {
    while (!done || latencies.length < 20) {
      const started = performance.now();
      const response = await fetch(`${server.url}/health`);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      expect(response.status).toBe(200);
    }
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    done = true;
    await poll;
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const health = {
    samples: sorted.length,
    maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
    p99Ms: Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0),
  };
  console.info(`/health while ${label}: ${JSON.stringify(health)}`);
  return { result, health };
}

// Before the fix /health stalled for 15 s and more. A refusal at upload lasts a few hundred
// milliseconds, so its 20 samples make the p99 the slowest sample, which on a loaded 2-core machine
// can be one scheduling hiccup over 250 ms (CI saw 257 ms): the bound is 500 ms, still far below a stall.
function expectResponsive(health: HealthFigures) {
  expect(health.p99Ms).toBeLessThan(500);
  expect(health.maxMs).toBeLessThan(1_000);
}

describe('decompression bombs are refused without stalling the server', () => {
  it('refuses a DOCX whose ZIP directory says it unpacks to 400 MB: 422 SY_ERR_FILE_TOO_COMPLEX at upload', async () => {
    expect(docxBomb.length).toBeLessThan(2 * 1024 * 1024);
    const { result, health } = await watchHealth('a 400 MB DOCX bomb is uploaded', async () => {
      const response = await uploadFile(server.url, alice, 'bomb.docx', docxBomb, docxType);
      return { status: response.status, body: await readJson(response) };
    });
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('SY_ERR_FILE_TOO_COMPLEX');
    expect(result.body.error.message).toMatch(/unpacks to more than 100 MiB/);
    expectResponsive(health);
    // Nothing was stored for it.
    expect((await readJson(await alice.get('/api/files'))).files).toEqual([]);
  }, 60_000);

  it('refuses a DOCX with more entries than files.extract.max_entries', async () => {
    const response = await withSettings({ 'files.extract.max_entries': 2 }, () =>
      uploadFile(server.url, alice, 'three.docx', docxBomb, docxType),
    );
    expect(response.status).toBe(422);
    const body = await readJson(response);
    expect(body.error.code).toBe('SY_ERR_FILE_TOO_COMPLEX');
    expect(body.error.message).toMatch(/3 entries; at most 2/);
  });

  it('refuses a 16000×16000 PNG from its header, before anything decodes it', async () => {
    const png = await makePngBomb(16_000, 16_000);
    expect(png.length).toBeLessThan(1024 * 1024);
    const { result, health } = await watchHealth('a 16000×16000 PNG is uploaded', async () => {
      const response = await uploadFile(server.url, alice, 'huge.png', png, 'image/png');
      return { status: response.status, body: await readJson(response) };
    });
    expect(result.status).toBe(422);
    expect(result.body.error.code).toBe('SY_ERR_FILE_TOO_COMPLEX');
    expect(result.body.error.message).toMatch(/16000×16000/);
    expectResponsive(health);
  }, 60_000);

  it('stops a bomb that passes the directory check at the time limit, and /health answers throughout', async () => {
    // The directory check is lifted and the heap limit raised, so only the time limit can stop it:
    // mammoth needs 37 s and more for 400 MB of XML, far beyond the 3 s limit.
    const limits = {
      'files.extract.max_uncompressed_bytes': 1024 * 1024 * 1024,
      'files.extract.memory_mb': 4096,
      'files.extract.timeout_ms': 3_000,
    };
    const { result: file, health } = await withSettings(limits, () =>
      watchHealth('a 400 MB DOCX bomb is extracted (time limit 3 s)', async () => {
        const response = await uploadFile(server.url, alice, 'slow-bomb.docx', docxBomb, docxType);
        expect(response.status, await response.clone().text()).toBe(201);
        return settledFile(alice, (await readJson(response)).id, 60_000);
      }),
    );
    expect(file.status).toBe('failed');
    expect(file.error).toMatch(/took longer than 3000 ms \(SY_ERR_FILE_TOO_COMPLEX\)/);
    expectResponsive(health);
    const text = await alice.get(`/api/files/${file.id}/text`);
    expect(text.status).toBe(409);
  }, 120_000);

  it('stops a bomb that passes the directory check at the memory limit', async () => {
    // 120 MB of XML (read as one string) cannot fit in a 64 MiB heap; the time limit is far away.
    // Smaller than the 400 MB bomb only so that the worker reaches the limit sooner on a busy machine.
    const bomb = await makeDocxBomb(120 * 1024 * 1024);
    const limits = {
      'files.extract.max_uncompressed_bytes': 1024 * 1024 * 1024,
      'files.extract.memory_mb': 64,
      'files.extract.timeout_ms': 600_000,
    };
    const { result: file, health } = await withSettings(limits, () =>
      watchHealth('a 120 MB DOCX bomb is extracted (heap limit 64 MiB)', async () => {
        const response = await uploadFile(server.url, alice, 'big-bomb.docx', bomb, docxType);
        expect(response.status).toBe(201);
        return settledFile(alice, (await readJson(response)).id, 240_000);
      }),
    );
    expect(file.status).toBe('failed');
    expect(file.error).toMatch(/needed more than 64 MiB of memory \(SY_ERR_FILE_TOO_COMPLEX\)/);
    expectResponsive(health);
  }, 300_000);

  it('still extracts a normal DOCX, PDF and PNG (in the worker, with the default limits)', async () => {
    const cases = [
      { name: 'notes.docx', bytes: await makeDocx(['Tide tables', 'for March']), expected: 'Tide tables\n\nfor March' },
      { name: 'report.pdf', bytes: makePdf('Harbour report'), expected: 'Harbour report' },
      { name: 'scan.png', bytes: makeTextPng('HELLO HOLE'), expected: 'HELLO HOLE' },
    ];
    for (const { name, bytes, expected } of cases) {
      const response = await uploadFile(server.url, alice, name, bytes);
      expect(response.status).toBe(201);
      const file = await settledFile(alice, (await readJson(response)).id, 90_000);
      expect(file, name).toMatchObject({ status: 'ready' });
      const { text } = await readJson(await alice.get(`/api/files/${file.id}/text`));
      expect(text).toContain(expected);
    }
  }, 300_000);
});
