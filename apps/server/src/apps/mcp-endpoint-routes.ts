import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ErrorResponse } from '@switchyard/api-schemas';
import { type SecretScrubber, SwitchyardError } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import { clientDisconnectSignal } from '../edge/client-disconnect';
import type { RouteBehaviour } from '../edge/principal';
import type { AppRegistry } from './app-registry';
import { appAudienceOf, skillCallerOf } from './skill-caller';

/** What the /mcp endpoint uses. */
export interface McpEndpointDependencies {
  readonly apps: AppRegistry;
  readonly secrets: Pick<SecretScrubber, 'scrub'>;
}

const behaviour: RouteBehaviour = { auth: 'required', scope: 'apps' };
const security = [{ bearer: [] }];
const tags = ['Apps'];
const errors = { 401: ErrorResponse, 403: ErrorResponse, 413: ErrorResponse };

/**
 * Switchyard as an MCP server: `POST /mcp` speaks MCP's Streamable HTTP transport, stateless (no session:
 * every request gets a fresh server, so any API process answers any request). An API key with the `apps`
 * scope is required; its environment decides which apps' skills are tools. The body limit of every route
 * applies (Fastify parses the JSON-RPC body before the transport sees it).
 */
export function registerMcpEndpointRoutes(app: FastifyInstance, { apps, secrets }: McpEndpointDependencies): void {
  app.post(
    '/mcp',
    {
      config: { behaviour },
      schema: {
        tags,
        summary: 'MCP endpoint (Streamable HTTP): the skills of your environment as tools `<app>__<skill>`',
        description:
          'JSON-RPC messages of the Model Context Protocol (initialize, tools/list, tools/call, ...). Stateless: ' +
          'no Mcp-Session-Id. Answers as JSON or an SSE stream (with progress notifications) as the client accepts.',
        security,
        response: errors,
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'The MCP endpoint needs an API key');
      // The MCP SDK loads on the endpoint's first request, not at every start.
      const [{ WebStandardStreamableHTTPServerTransport }, { createMcpEndpointServer }] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
        import('./mcp-endpoint'),
      ]);
      const server = createMcpEndpointServer(apps, {
        environment: principal.environment,
        audience: appAudienceOf(principal),
        caller: skillCallerOf(principal, request.ip),
        signal: clientDisconnectSignal(request, reply),
        scrub: (text) => secrets.scrub(text),
      });
      // No sessionIdGenerator: stateless mode (no Mcp-Session-Id).
      const transport = new WebStandardStreamableHTTPServerTransport({});
      reply.raw.once('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      // Fastify has read and parsed the body (with its size limit); the transport gets it parsed, and the
      // web request it reads the method, headers and URL from carries no body of its own.
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers.set(name, value);
        else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      }
      const url = new URL(request.url, `${request.protocol}://${request.host}`);
      const response = await transport.handleRequest(new Request(url, { method: 'POST', headers }), {
        parsedBody: request.body,
      });
      // The transport's own answers (200, 202, 4xx of JSON-RPC) pass through as they are.
      reply.code(response.status as 401);
      response.headers.forEach((value, name) => {
        reply.header(name, value);
      });
      // A JSON answer, or an SSE stream of progress notifications and the answer, as the client accepts.
      return reply.send(response.body ? Readable.fromWeb(response.body as NodeReadableStream) : null);
    },
  );

  // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      config: { behaviour: { ...behaviour, usage: false } },
      schema: { tags, summary: `Not offered: the endpoint is stateless (405)`, security, response: errors },
      handler: async (_request, reply) => {
        reply.header('allow', 'POST');
        throw new SwitchyardError('SY_ERR_METHOD_NOT_ALLOWED', 'The MCP endpoint is stateless: send POST requests');
      },
    });
  }
}
