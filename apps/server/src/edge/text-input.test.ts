import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * Issue 12, finding 6: U+0000 anywhere in stored or queried text, or a lone surrogate, gave
 * `500 SY_ERR_INTERNAL`, and the log line carried the SQL with its parameters (user content).
 */
const marker = 'injected-marker-5f1e';
const nul = `${marker}\u0000`;
const loneSurrogate = `${marker}\ud800`;
const nulInPath = `${marker}%00`;

let server: TestServer;
let alice: Browser;
let userKey: string;
let adminKey: string;
let chatId: string;
let templateId: string;

beforeAll(async () => {
  server = await startTestServer({
    config: {
      ollama: { autodetect: false },
      providers: [{ id: 'local', type: 'echo' }],
      models: [{ id: 'echo-model', provider: 'local' }],
    },
  });
  alice = (await signUpUser(server.url, 'text-input')).browser;
  userKey = await server.createKey('prod');
  adminKey = await server.createKey('prod', { admin: true });
  const chat = await alice.post('/api/chats', { title: 'a fine title' });
  expect(chat.status).toBe(201);
  chatId = ((await readJson(chat)) as { id: string }).id;
  const template = await alice.post('/api/templates', { name: 'greeting', body: 'Hello {{name}}' });
  expect(template.status).toBe(201);
  templateId = ((await readJson(template)) as { id: string }).id;
});

afterAll(async () => {
  await server?.destroy();
});

type Caller = 'browser' | 'key' | 'admin';

interface Case {
  name: string;
  caller: Caller;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: () => string;
  body?: () => unknown;
  /** The field the 400 names. */
  field: string;
}

const cases: Case[] = [
  {
    name: 'chat title',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/chats',
    body: () => ({ title: nul }),
    field: 'body.title',
  },
  {
    name: 'chat title, lone surrogate',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/chats',
    body: () => ({ title: loneSurrogate }),
    field: 'body.title',
  },
  {
    name: 'chat folder',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/chats',
    body: () => ({ title: 't', folder: nul }),
    field: 'body.folder',
  },
  {
    name: 'chat tags',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/chats',
    body: () => ({ tags: ['ok', nul] }),
    field: 'body.tags.1',
  },
  {
    name: 'renamed chat',
    caller: 'browser',
    method: 'PATCH',
    path: () => `/api/chats/${chatId}`,
    body: () => ({ title: nul }),
    field: 'body.title',
  },
  {
    name: 'message',
    caller: 'browser',
    method: 'POST',
    path: () => `/api/chats/${chatId}/messages`,
    body: () => ({ role: 'user', content: nul }),
    field: 'body.content',
  },
  {
    name: 'imported chat',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/chats/import',
    body: () => ({ title: nul, messages: [] }),
    field: 'body.title',
  },
  {
    name: 'template name',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/templates',
    body: () => ({ name: nul, body: 'b' }),
    field: 'body.name',
  },
  {
    name: 'template body',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/templates',
    body: () => ({ name: 'n', body: loneSurrogate }),
    field: 'body.body',
  },
  {
    name: 'template variables',
    caller: 'browser',
    method: 'POST',
    path: () => `/api/templates/${templateId}/render`,
    body: () => ({ variables: { name: nul } }),
    field: 'body.variables.name',
  },
  {
    name: 'a NUL in an object key',
    caller: 'browser',
    method: 'POST',
    path: () => `/api/templates/${templateId}/render`,
    body: () => ({ variables: { [nul]: 'x' } }),
    field: 'a key of body.variables',
  },
  {
    name: 'streamed chat message',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/chat/start',
    body: () => ({ model: 'echo-model', message: nul }),
    field: 'body.message',
  },
  {
    name: 'account key name',
    caller: 'browser',
    method: 'POST',
    path: () => '/api/keys',
    body: () => ({ name: nul, environment: 'prod' }),
    field: 'body.name',
  },
  {
    name: 'chat list folder filter',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/chats?folder=${nulInPath}`,
    field: 'query.folder',
  },
  {
    name: 'chat list tag filter',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/chats?tag=${nulInPath}`,
    field: 'query.tag',
  },
  {
    name: 'search query',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/chats/search?q=${nulInPath}`,
    field: 'query.q',
  },
  { name: 'chat id', caller: 'browser', method: 'GET', path: () => `/api/chats/${nulInPath}`, field: 'params.id' },
  {
    name: 'chat id of messages',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/chats/${nulInPath}/messages`,
    field: 'params.id',
  },
  {
    name: 'chat id of an update',
    caller: 'browser',
    method: 'PATCH',
    path: () => `/api/chats/${nulInPath}`,
    body: () => ({ title: 'x' }),
    field: 'params.id',
  },
  {
    name: 'chat id of a delete',
    caller: 'browser',
    method: 'DELETE',
    path: () => `/api/chats/${nulInPath}`,
    field: 'params.id',
  },
  {
    name: 'message id',
    caller: 'browser',
    method: 'DELETE',
    path: () => `/api/chats/${chatId}/messages/${nulInPath}`,
    field: 'params.messageId',
  },
  {
    name: 'chat export id',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/chats/${nulInPath}/export`,
    field: 'params.id',
  },
  {
    name: 'share id',
    caller: 'browser',
    method: 'POST',
    path: () => `/api/chats/${nulInPath}/share`,
    field: 'params.id',
  },
  {
    name: 'share token',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/share/${nulInPath}-long-enough`,
    field: 'params.token',
  },
  {
    name: 'template id',
    caller: 'browser',
    method: 'GET',
    path: () => `/api/templates/${nulInPath}`,
    field: 'params.id',
  },
  { name: 'key id', caller: 'browser', method: 'DELETE', path: () => `/api/keys/${nulInPath}`, field: 'params.id' },
  {
    name: 'native chat message',
    caller: 'key',
    method: 'POST',
    path: () => '/v1/chat',
    body: () => ({ model: 'echo-model', message: nul }),
    field: 'body.message',
  },
  {
    name: 'async chat message',
    caller: 'key',
    method: 'POST',
    path: () => '/v1/chat',
    body: () => ({ model: 'echo-model', message: nul, async: true }),
    field: 'body.message',
  },
  {
    name: 'OpenAI chat message',
    caller: 'key',
    method: 'POST',
    path: () => '/v1/chat/completions',
    body: () => ({ model: 'echo-model', messages: [{ role: 'user', content: nul }] }),
    field: 'body.messages.0.content',
  },
  {
    name: 'image prompt, lone surrogate',
    caller: 'key',
    method: 'POST',
    path: () => '/v1/image/generate',
    body: () => ({ prompt: loneSurrogate }),
    field: 'body.prompt',
  },
  {
    name: 'OpenAI image prompt',
    caller: 'key',
    method: 'POST',
    path: () => '/v1/images/generations',
    body: () => ({ prompt: nul }),
    field: 'body.prompt',
  },
  { name: 'chat job id', caller: 'key', method: 'GET', path: () => `/v1/chat/jobs/${nulInPath}`, field: 'params.id' },
  { name: 'image id', caller: 'key', method: 'GET', path: () => `/v1/image/${nulInPath}`, field: 'params.id' },
  {
    name: 'admin key name',
    caller: 'admin',
    method: 'POST',
    path: () => '/v1/admin/keys',
    body: () => ({ name: nul, environment: 'prod' }),
    field: 'body.name',
  },
  {
    name: 'admin key id',
    caller: 'admin',
    method: 'DELETE',
    path: () => `/v1/admin/keys/${nulInPath}`,
    field: 'params.id',
  },
  {
    name: 'admin job id',
    caller: 'admin',
    method: 'GET',
    path: () => `/v1/admin/jobs/${nulInPath}`,
    field: 'params.id',
  },
  {
    name: 'admin job list filter',
    caller: 'admin',
    method: 'GET',
    path: () => `/v1/admin/jobs?name=${nulInPath}`,
    field: 'query.name',
  },
  {
    name: 'admin setting key',
    caller: 'admin',
    method: 'PUT',
    path: () => `/v1/admin/settings/${nulInPath}`,
    body: () => ({ value: 1 }),
    field: 'params.key',
  },
  {
    name: 'admin usage model filter',
    caller: 'admin',
    method: 'GET',
    path: () => `/v1/admin/usage?model=${nulInPath}`,
    field: 'query.model',
  },
];

async function send(testCase: Case): Promise<Response> {
  const body = testCase.body?.();
  if (testCase.caller === 'browser') {
    return alice.request(testCase.method, testCase.path(), body === undefined ? {} : { body });
  }
  const key = testCase.caller === 'admin' ? adminKey : userKey;
  return fetch(`${server.url}${testCase.path()}`, {
    method: testCase.method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('text a database cannot store is refused with a 400 naming the field', () => {
  it.each(cases)('$name', async (testCase) => {
    const logsBefore = server.logs.length;
    const response = await send(testCase);
    const text = await response.text();
    expect(response.status, text).toBe(400);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SY_ERR_INVALID_TEXT');
    expect(body.error.message).toContain(testCase.field);
    expect(JSON.stringify(server.logs.slice(logsBefore))).not.toContain(marker);
  });

  it('still accepts ordinary text with emoji (surrogate pairs), tabs and newlines', async () => {
    const response = await alice.post('/api/chats', { title: 'pairs 😀 fine\tand\nnew lines', tags: ['ünïcödé'] });
    expect(response.status).toBe(201);
  });
});
