import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';
import { operationIdOf } from './openapi';

let server: TestServer;
// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document as JSON
let document: any;

beforeAll(async () => {
  server = await startTestServer();
  document = await readJson(await fetch(`${server.url}/openapi.json`));
});

afterAll(async () => {
  await server?.destroy();
});

type Operation = {
  operationId?: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
  'x-switchyard-auth'?: string;
};

function operations(): Array<[string, Operation]> {
  return Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as [string, Operation]),
  );
}

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended rules with 0 errors", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: '/openapi.json', config });
    const errors = problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual(
      [],
    );
  });

  it('gives every operation a unique operationId and a 2xx (or its documented 405)', () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(80);
    const ids = all.map(([, operation]) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const without2xx = all
      .filter(([, operation]) => !Object.keys(operation.responses ?? {}).some((status) => /^2/.test(status)))
      .map(([name]) => name);
    expect(without2xx).toEqual(['GET /mcp', 'DELETE /mcp']);
  });

  it('declares text/event-stream on the streaming routes', () => {
    const media = (name: string) => {
      const [, operation] = operations().find(([key]) => key === name) ?? [];
      const success = Object.entries(operation?.responses ?? {}).find(([status]) => status.startsWith('2'))?.[1];
      return Object.keys(success?.content ?? {});
    };
    expect(media('POST /v1/chat/completions')).toEqual(['application/json', 'text/event-stream']);
    expect(media('POST /v1/chat')).toEqual(expect.arrayContaining(['application/json', 'text/event-stream']));
    expect(media('GET /v1/events/flows/{flowId}')).toEqual(['text/event-stream']);
    expect(media('GET /api/chat/stream')).toContain('text/event-stream');
  });

  it('has security schemes for keys and the session cookie, applied by who may call each route', () => {
    expect(Object.keys(document.components.securitySchemes)).toEqual(['bearer', 'session', 'anthropicKey']);
    expect(document.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie' });
    for (const [name, operation] of operations()) {
      if (operation['x-switchyard-auth'] === 'session') expect(operation.security, name).toEqual([{ session: [] }]);
      if (operation['x-switchyard-auth'] === 'none') expect(operation.security, name).toEqual([]);
    }
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('documents the sign-in routes and names shared schemas as components', () => {
    expect(document.paths['/api/auth/sign-in/email'].post.operationId).toBe('signInEmail');
    expect(
      document.paths['/api/auth/sign-up/email'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['email', 'password', 'name']);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['ErrorResponse', 'OpenAIErrorResponse', 'KeyList', 'ImageQuota', 'ChatList']),
    );
    const quota = document.paths['/v1/image/quota'].get.responses['200'].content['application/json'].schema;
    expect(quota).toEqual({ $ref: '#/components/schemas/ImageQuota' });
  });

  it('derives operation ids from the method and path', () => {
    expect(operationIdOf('POST', '/v1/admin/jobs/:id/replay')).toBe('postV1AdminJobsByIdReplay');
    expect(operationIdOf('GET', '/v1/events/flows/:flowId')).toBe('getV1EventsFlowsByFlowId');
  });
});
