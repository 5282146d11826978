import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../testing/browser';
import { signUpUser } from '../testing/chat-client';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

let server: TestServer;
let adminKey: string;
let user: Browser;
let chatId: string;
let listRoutes: string[];

beforeAll(async () => {
  server = await startTestServer();
  adminKey = await server.createKey('prod', { admin: true });
  ({ browser: user } = await signUpUser(server.url, 'pager'));
  chatId = (await readJson(await user.post('/api/chats', { title: 'paged' }))).id;
  // Every GET route whose querystring takes a page, as the API document lists them.
  const document = await readJson(await fetch(`${server.url}/openapi.json`));
  listRoutes = Object.entries(document.paths as Record<string, { get?: { parameters?: Array<{ name: string }> } }>)
    .filter(([, operations]) => operations.get?.parameters?.some((parameter) => parameter.name === 'limit'))
    .map(([path]) => path);
});
afterAll(() => server?.destroy());

/** Calls a list route as whoever may read it: an admin key for admin lists, a signed-in user for their own. */
function list(path: string, query: string): Promise<Response> {
  const concrete = `${path.replace('{id}', chatId)}${path.includes('search') ? `?q=paged&${query}` : `?${query}`}`;
  if (path.startsWith('/v1/admin') || path.startsWith('/api/users')) {
    return keyRequest(server.url, adminKey, 'GET', concrete);
  }
  return user.get(concrete);
}

describe('paging on every list route', () => {
  it('finds the list routes in the API document', () => {
    // The dead-letter queue, users, chats, chat search, messages, files and templates at least.
    for (const path of [
      '/v1/admin/jobs/dead',
      '/api/users',
      '/api/chats',
      '/api/chats/search',
      '/api/chats/{id}/messages',
      '/api/files',
      '/api/templates',
    ]) {
      expect(listRoutes).toContain(path);
    }
  });

  it('reads limit and offset from the query string as numbers', async () => {
    for (const path of listRoutes) {
      const response = await list(path, 'limit=10&offset=0');
      expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
    }
  });

  it('refuses a limit or offset that is not a whole number in range with the same 400', async () => {
    for (const path of listRoutes) {
      for (const query of ['limit=ten', 'limit=0', 'limit=100000', 'offset=-1', 'offset=1.5']) {
        const response = await list(path, query);
        expect(response.status, `${path}?${query}`).toBe(400);
        expect((await readJson(response)).error.code, `${path}?${query}`).toBe('SY_ERR_VALIDATION');
      }
    }
  });

  it('pages the dead-letter queue with limit=10 (was a 400: query numbers were not coerced there)', async () => {
    const response = await keyRequest(server.url, adminKey, 'GET', '/v1/admin/jobs/dead?limit=10');
    expect(response.status).toBe(200);
    expect(Array.isArray((await readJson(response)).jobs)).toBe(true);
  });
});
