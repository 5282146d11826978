import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let alice: Browser;

beforeAll(async () => {
  server = await startTestServer({ config: { ollama: { autodetect: false } } });
  alice = (await signUpUser(server.url, 'multipart')).browser;
});

afterAll(async () => {
  await server?.destroy();
});

const boundary = 'sy-boundary-7f3a';

/** One part of a multipart body, CRLF line ends as RFC 7578 wants. */
const filePart = (field: string, name: string, content: string, marker = boundary) =>
  `--${marker}\r\ncontent-disposition: form-data; name="${field}"; filename="${name}"\r\n` +
  `content-type: text/plain\r\n\r\n${content}\r\n`;
const fieldPart = (field: string, value: string) =>
  `--${boundary}\r\ncontent-disposition: form-data; name="${field}"\r\n\r\n${value}\r\n`;
const closing = (marker = boundary) => `--${marker}--\r\n`;

/** A raw POST /api/files: the body and Content-Type exactly as given, no FormData to tidy them up. */
async function post(contentType: string, body: string) {
  const cookie = [...alice.cookies].map(([key, value]) => `${key}=${value}`).join('; ');
  const response = await fetch(`${server.url}/api/files`, {
    method: 'POST',
    headers: { cookie, origin: server.url, 'content-type': contentType },
    body,
  });
  return { status: response.status, body: await readJson(response) };
}

const multipart = `multipart/form-data; boundary=${boundary}`;

describe('POST /api/files reads only well-formed multipart with the file in the field "file"', () => {
  it('takes a well-formed body (the baseline the cases below break)', async () => {
    const ok = await post(multipart, filePart('file', 'a.txt', 'hello') + closing());
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name: 'a.txt', mimeType: 'text/plain', bytes: 5 });
  });

  it('refuses a multipart Content-Type without a boundary with 400 SY_ERR_INVALID_MULTIPART', async () => {
    const response = await post('multipart/form-data', filePart('file', 'a.txt', 'hello') + closing());
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
    expect(response.body.error.message).toMatch(/boundary/);
  });

  it('refuses a body whose boundary is not the one in the Content-Type', async () => {
    const other = 'some-other-boundary';
    const response = await post(multipart, filePart('file', 'a.txt', 'hello', other) + closing(other));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
  });

  it('refuses a truncated body: cut inside the file, and with no closing boundary', async () => {
    const whole = filePart('file', 'a.txt', 'hello world, this is the file') + closing();
    const cutInFile = await post(multipart, whole.slice(0, whole.indexOf('this is')));
    expect(cutInFile.status).toBe(400);
    expect(cutInFile.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
    const cutInHeaders = await post(multipart, whole.slice(0, 40));
    expect(cutInHeaders.status).toBe(400);
    expect(cutInHeaders.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
    const noClosing = await post(multipart, filePart('file', 'a.txt', 'hello'));
    expect(noClosing.status).toBe(400);
    expect(noClosing.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
  });

  it('refuses a file sent in another field, and a form with no file at all', async () => {
    const elsewhere = await post(multipart, filePart('attachment', 'a.txt', 'hello') + closing());
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
    expect(elsewhere.body.error.message).toMatch(/"attachment"/);

    const noFile = await post(multipart, fieldPart('note', 'just a field') + closing());
    expect(noFile.status).toBe(400);
    expect(noFile.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');

    const empty = await post(multipart, closing());
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
  });

  it('refuses two files in one request', async () => {
    const two = await post(multipart, filePart('file', 'a.txt', 'one') + filePart('file', 'b.txt', 'two') + closing());
    expect(two.status).toBe(400);
    expect(two.body.error.code).toBe('SY_ERR_INVALID_MULTIPART');
  });

  it('still answers 415 for a body that is not multipart at all', async () => {
    const response = await post('application/json', '{}');
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('SY_ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});
