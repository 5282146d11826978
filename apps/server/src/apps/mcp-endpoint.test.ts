import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { closedPortUrl, type RunningMcpHttpServer, startTestMcpHttpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

describe('/mcp: Switchyard as an MCP server (Streamable HTTP) for the skills of a key’s environment', () => {
  let server: TestServer;
  let notes: RunningMcpHttpServer;
  let prodKey: string;
  let devKey: string;
  let prodAdmin: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    notes = await startTestMcpHttpServer();
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        apps: [
          { id: 'notes', name: 'Notes', type: 'mcp', url: notes.url, timeoutMs: 5000 },
          { id: 'lab', name: 'Lab', type: 'mcp', url: notes.url, environments: ['dev'] },
          { id: 'down', type: 'mcp', url: await closedPortUrl('/mcp') },
        ],
      },
    });
    prodKey = await server.createKey('prod');
    devKey = await server.createKey('dev');
    prodAdmin = await server.createKey('prod', { admin: true });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await server?.destroy();
    await notes?.close();
  });

  /** The official SDK client, with the key as a bearer token on every request. */
  async function connect(key: string): Promise<Client> {
    const client = new Client({ name: 'switchyard-test-client', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  const textOf = (result: unknown) =>
    ((result as { content: Array<{ text: string }> }).content ?? []).map((part) => part.text).join('');

  it("lists exactly the skills of the key's environment as tools <app>__<skill>; an app that is down offers none", async () => {
    const prod = await connect(prodKey);
    expect(prod.getServerVersion()?.name).toBe('switchyard');
    const { tools } = await prod.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['notes__echo', 'notes__add', 'notes__broken', 'notes__steps']));
    // Besides the built-in apps' skills, only the prod app's: the dev-only app and the down app offer none.
    const configured = names.filter((name) => !/^(web|images|files)__/.test(name));
    expect(configured.every((name) => name.startsWith('notes__'))).toBe(true);
    const echo = tools.find((tool) => tool.name === 'notes__echo');
    expect(echo).toMatchObject({
      description: 'Says the text back',
      inputSchema: { type: 'object', required: ['text'] },
    });

    const dev = await connect(devKey);
    const devNames = (await dev.listTools()).tools.map((tool) => tool.name);
    expect(devNames).toEqual(expect.arrayContaining(['notes__echo', 'lab__echo', 'lab__add']));
    // A prod key cannot call a dev-only app's skill even by name.
    await expect(prod.callTool({ name: 'lab__echo', arguments: { text: 'x' } })).rejects.toThrow(/Unknown tool/);
  });

  it('runs a tool through the registry: text content, and isError for the skill’s failure or refused input', async () => {
    const client = await connect(prodKey);
    const added = await client.callTool({ name: 'notes__add', arguments: { a: 2, b: 3 } });
    expect(added.isError).toBe(false);
    expect(textOf(added)).toBe('5');

    const broken = await client.callTool({ name: 'notes__broken', arguments: {} });
    expect(broken.isError).toBe(true);
    expect(textOf(broken)).toBe('the broken tool broke');

    const invalid = await client.callTool({ name: 'notes__add', arguments: { a: 'two', b: 3 } });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toBe('Error (SY_ERR_VALIDATION): input.a must be number');

    await expect(client.callTool({ name: 'nothing__here', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  it("forwards the skill's progress to a client that asks for it", async () => {
    const client = await connect(devKey);
    const seen: Progress[] = [];
    const result = await client.callTool({ name: 'lab__steps', arguments: { count: 3 } }, undefined, {
      onprogress: (progress) => seen.push(progress),
    });
    expect(textOf(result)).toBe('done after 3 steps');
    expect(seen.map((progress) => progress.message)).toEqual(['step 1', 'step 2', 'step 3']);
    expect(seen.map((progress) => Math.round(progress.progress))).toEqual([33, 67, 100]);
    expect(seen.every((progress) => progress.total === 100)).toBe(true);
  });

  it('needs a key (401 with a Bearer challenge) with the apps scope (403)', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
    };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const anonymous = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body: JSON.stringify(initialize) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="switchyard"');
    expect((await readJson(anonymous)).error.code).toBe('SY_ERR_UNAUTHORIZED');

    const wrongKey = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer prod_not-a-real-key' },
      body: JSON.stringify(initialize),
    });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.headers.get('www-authenticate')).toBe('Bearer realm="switchyard", error="invalid_token"');

    // The SDK client sees the statuses too.
    await expect(connect('prod_not-a-real-key')).rejects.toMatchObject({ code: 401 });
    const chatOnly = await server.createKey('prod', { scopes: ['chat'] });
    await expect(connect(chatOnly)).rejects.toMatchObject({ code: 403 });
  });

  it('refuses a body over the server limit (413), and GET/DELETE of a stateless endpoint (405)', async () => {
    const huge = await keyRequest(server.url, prodKey, 'POST', '/mcp', {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'notes__echo', arguments: { text: 'x'.repeat(2 * 1024 * 1024) } },
    });
    expect(huge.status).toBe(413);
    expect((await readJson(huge)).error.code).toBe('SY_ERR_PAYLOAD_TOO_LARGE');
    for (const method of ['GET', 'DELETE']) {
      const refused = await keyRequest(server.url, prodKey, method, '/mcp');
      expect(refused.status).toBe(405);
      expect(refused.headers.get('allow')).toBe('POST');
    }
  });

  it('logs every call as a usage row of its environment, with origin mcp, status and caller', async () => {
    await server.parts.skillCalls.flush();
    const usage = await readJson(
      await keyRequest(server.url, prodAdmin, 'GET', '/v1/admin/usage/skills?environment=prod&app=notes'),
    );
    const mcpCalls = usage.calls.filter((row: { via: string }) => row.via === 'mcp');
    expect(mcpCalls.map((row: { skill: string; status: string }) => `${row.skill}:${row.status}`).sort()).toEqual([
      'add:invalid',
      'add:ok',
      'broken:error',
    ]);
    expect(mcpCalls[0].caller).toMatch(/^key:/);
    expect(mcpCalls[0].api_key_id).toBe(mcpCalls[0].caller.slice('key:'.length));
    const dev = await readJson(
      await keyRequest(server.url, prodAdmin, 'GET', '/v1/admin/usage/skills?environment=dev&app=lab'),
    );
    expect(dev.calls).toEqual([expect.objectContaining({ skill: 'steps', via: 'mcp', status: 'ok' })]);
  });
});
