#!/usr/bin/env node
// A real MCP server, written with the official SDK, for tests: `node test-mcp-server.mjs` speaks
// over stdio; `node test-mcp-server.mjs --http 0` serves Streamable HTTP at /mcp and prints
// "listening <port>" on stdout. Tools: echo, add, slow, big, broken, steps (progress), and `grow`, which adds a
// tool named `extra` (the server then announces that its tool list changed).
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

function buildServer() {
  const server = new McpServer({ name: 'switchyard-test-mcp', version: '1.0.0' });
  const text = (value) => ({ content: [{ type: 'text', text: value }] });
  server.registerTool(
    'echo',
    { description: 'Says the text back', inputSchema: { text: z.string().describe('What to say back') } },
    async ({ text: value }) => text(`echo: ${value}`),
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => text(String(a + b)),
  );
  server.registerTool(
    'slow',
    { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number().int().min(0) } },
    async ({ ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return text(`slept ${ms}`);
    },
  );
  server.registerTool(
    'big',
    { description: 'Answers with n bytes of text', inputSchema: { bytes: z.number().int().min(0) } },
    async ({ bytes }) => text('x'.repeat(bytes)),
  );
  server.registerTool('broken', { description: 'Always fails' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'the broken tool broke' }],
  }));
  server.registerTool(
    'steps',
    {
      description: 'Reports count progress steps (to a client that asked for progress), then answers',
      inputSchema: { count: z.number().int().min(1).max(20) },
    },
    async ({ count }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let step = 1; step <= count && progressToken !== undefined; step += 1) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: step, total: count, message: `step ${step}` },
        });
      }
      return text(`done after ${count} steps`);
    },
  );
  server.registerTool('grow', { description: 'Adds the tool extra' }, async () => {
    server.registerTool('extra', { description: 'Appeared later' }, async () => text('extra!'));
    return text('grown');
  });
  return server;
}

const httpIndex = process.argv.indexOf('--http');
if (httpIndex === -1) {
  await buildServer().connect(new StdioServerTransport());
} else {
  // Stateless Streamable HTTP: a fresh server and transport per request.
  const port = Number(process.argv[httpIndex + 1] ?? 0);
  const http = createServer(async (request, response) => {
    if (!request.url?.startsWith('/mcp')) {
      response.writeHead(404).end();
      return;
    }
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response);
  });
  http.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening ${http.address().port}\n`);
  });
  process.on('SIGTERM', () => http.close(() => process.exit(0)));
}
