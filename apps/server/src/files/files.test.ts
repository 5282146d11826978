import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { deltaText, readEvents, signUpUser } from '../testing/chat-client';
import { makeDocx, makePdf, makeTextPng } from '../testing/documents';
import { readJson } from '../testing/read-json';
import { setSetting } from '../testing/settings';
import { startTestServer, type TestServer } from '../testing/test-server';
import { settledFile, uploadFile } from '../testing/upload';

let server: TestServer;
let alice: Browser;
let adminKey: string;

beforeAll(async () => {
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      models: [{ id: 'tiny-window', provider: 'echo', contextWindow: 40 }],
    },
  });
  alice = (await signUpUser(server.url, 'uploader')).browser;
  adminKey = await server.createKey('prod', { admin: true });
});

afterAll(async () => {
  await server?.destroy();
});

async function upload(name: string, bytes: Buffer, contentType?: string, browser = alice) {
  return uploadFile(server.url, browser, name, bytes, contentType);
}

async function uploadAndExtract(name: string, bytes: Buffer, contentType?: string) {
  const response = await upload(name, bytes, contentType);
  expect(response.status, await response.clone().text()).toBe(201);
  const created = await readJson(response);
  expect(created.status).toBe('pending');
  const file = await settledFile(alice, created.id, 60_000);
  const text = file.status === 'ready' ? (await readJson(await alice.get(`/api/files/${file.id}/text`))).text : null;
  return { file, text };
}

describe('file uploads and text extraction', () => {
  it('extracts text from a PDF made here', async () => {
    const { file, text } = await uploadAndExtract('report.pdf', makePdf('Quarterly tides report'));
    expect(file).toMatchObject({ status: 'ready', mimeType: 'application/pdf', name: 'report.pdf' });
    expect(text).toContain('Quarterly tides report');
  });

  it('extracts text from a DOCX made here', async () => {
    const { file, text } = await uploadAndExtract('notes.docx', await makeDocx(['First paragraph', 'Second one']));
    expect(file.mimeType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(text).toBe('First paragraph\n\nSecond one');
  });

  it('reads text in a PNG with offline OCR', async () => {
    const { file, text } = await uploadAndExtract('scan.png', makeTextPng('HELLO HOLE'), 'image/png');
    expect(file).toMatchObject({ status: 'ready', mimeType: 'image/png' });
    expect(text).toContain('HELLO HOLE');
  }, 60_000);

  it('takes text, Markdown, CSV and JSON as they are', async () => {
    const markdown = await uploadAndExtract('readme.md', Buffer.from('# Title\n\nbody text'));
    expect(markdown.file.mimeType).toBe('text/markdown');
    expect(markdown.text).toBe('# Title\n\nbody text');
    const csv = await uploadAndExtract('table.csv', Buffer.from('a,b\n1,2'));
    expect(csv.file.mimeType).toBe('text/csv');
  });

  it('marks a file failed with a reason when its content cannot be read', async () => {
    const broken = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from('this is not a real pdf body')]);
    const { file } = await uploadAndExtract('broken.pdf', broken);
    expect(file.status).toBe('failed');
    expect(file.error).toMatch(/PDF/);
  });

  it('decides the type from the bytes: a PNG named .pdf is a PNG, an .exe is refused', async () => {
    const spoofed = await upload('invoice.pdf', makeTextPng('HELLO'), 'application/pdf');
    expect(spoofed.status).toBe(201);
    expect((await readJson(spoofed)).mimeType).toBe('image/png');

    const executable = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
    const exe = await upload('setup.exe', executable);
    expect(exe.status).toBe(415);
    const renamed = await upload('notes.txt', executable, 'text/plain');
    expect(renamed.status).toBe(415);
    expect((await readJson(renamed)).error.code).toBe('SY_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('strips paths from names and never uses them for storage', async () => {
    for (const name of ['../../etc/passwd', '..\\..\\windows\\win.ini', '/abs/evil.txt', '....']) {
      const response = await upload(name, Buffer.from('plain text'));
      expect(response.status).toBe(201);
      const file = await readJson(response);
      expect(file.name).not.toMatch(/[\\/]/);
      expect(file.name.startsWith('.')).toBe(false);
    }
    const download = await alice.get(
      `/api/files/${(await readJson(await upload('../x.txt', Buffer.from('y')))).id}/content`,
    );
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="x.txt"; filename*=UTF-8''x.txt`);
  });

  it('serves the bytes back only to the owner, as an attachment with nosniff', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const created = await readJson(await upload('page.html', html, 'text/html'));
    const content = await alice.get(`/api/files/${created.id}/content`);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toContain('text/plain');
    expect(content.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(content.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await content.arrayBuffer()).equals(html)).toBe(true);

    const { browser: other } = await signUpUser(server.url, 'snoop');
    expect((await other.get(`/api/files/${created.id}/content`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/files/${created.id}/content`)).status).toBe(401);
  });

  it('enforces the size and per-user count limits from settings, and tells the signed-in user what they are', async () => {
    const limits = async () => readJson(await alice.get('/api/files/limits'));
    expect(await limits()).toEqual({ maxBytes: 20 * 1024 * 1024, maxFiles: 200 });
    expect((await fetch(`${server.url}/api/files/limits`)).status).toBe(401);
    await setSetting(server, adminKey, 'files.max_bytes', 1024);
    try {
      expect(await limits()).toEqual({ maxBytes: 1024, maxFiles: 200 });
      const big = await upload('big.txt', Buffer.alloc(2048, 'a'));
      expect(big.status).toBe(413);
      expect((await upload('small.txt', Buffer.alloc(512, 'a'))).status).toBe(201);
    } finally {
      await setSetting(server, adminKey, 'files.max_bytes', 20 * 1024 * 1024);
    }
    const { browser: counted } = await signUpUser(server.url, 'counted');
    await setSetting(server, adminKey, 'files.max_per_user', 2);
    try {
      expect((await upload('1.txt', Buffer.from('1'), undefined, counted)).status).toBe(201);
      expect((await upload('2.txt', Buffer.from('2'), undefined, counted)).status).toBe(201);
      expect((await upload('3.txt', Buffer.from('3'), undefined, counted)).status).toBe(429);
    } finally {
      await setSetting(server, adminKey, 'files.max_per_user', 200);
    }
  });

  it("gives an attachment's text to the model, trimmed to the model's context window", async () => {
    const { file } = await uploadAndExtract('facts.txt', Buffer.from('The harbour opens at dawn.'));
    const started = await readJson(await alice.post('/api/chat/start', { message: 'When?', attachments: [file.id] }));
    const answer = deltaText(await readEvents(await alice.get(`/api/chat/stream?sessionId=${started.sessionId}`)));
    // The echo model repeats the prompt it got, so the answer shows what the model saw.
    expect(answer).toContain('The harbour opens at dawn.');
    expect(answer).toContain('When?');

    const long = await uploadAndExtract('long.txt', Buffer.from('lorem ipsum '.repeat(500)));
    const small = await readJson(
      await alice.post('/api/chat/start', { model: 'tiny-window', message: 'Sum up', attachments: [long.file.id] }),
    );
    const trimmed = deltaText(await readEvents(await alice.get(`/api/chat/stream?sessionId=${small.sessionId}`)));
    // 40 tokens × 4 characters, half of it for attachments.
    expect(trimmed.length).toBeLessThan(160);
    expect(trimmed).toContain('[…truncated]');

    const { browser: other } = await signUpUser(server.url, 'borrower');
    const borrowed = await other.post('/api/chat/start', { message: 'x', attachments: [file.id] });
    expect(borrowed.status).toBe(404);
  });
});
