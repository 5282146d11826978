import * as wire from '@switchyard/api-schemas';
import { keyScopes } from '@switchyard/core';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp } from '../composition/app';
import { startTestServer, type TestServer } from '../testing/test-server';

/**
 * One definition of each wire shape: every schema a route registers (and so every schema in the
 * OpenAPI document) is an export of @switchyard/api-schemas, the package the providers' request
 * type and the web app's types come from. A schema written inline in a route fails here.
 */
const exported = new Set<unknown>(Object.values(wire).filter((value) => typeof value === 'object' && value !== null));

let server: TestServer;
let built: BuiltApp;
beforeAll(async () => {
  server = await startTestServer();
  built = await buildApp(server.parts);
  await built.app.ready();
});
afterAll(async () => {
  await built?.app.close();
  await server?.destroy();
});

describe('@switchyard/api-schemas is the only source of route schemas', () => {
  it('every body, query, params and response schema a route registers is one of its exports', () => {
    const schemas = built.routeSchemas();
    expect(schemas.length).toBeGreaterThan(80);
    const foreign = schemas
      .filter((entry) => !exported.has(entry.schema))
      .map((entry) => `${entry.method} ${entry.url} ${entry.part}`);
    expect(foreign).toEqual([]);
  });

  it('every schema a route registers is a valid JSON Schema (the server does not check them at run time)', () => {
    // The server's ajv is set up with validateSchema: false (composition/app.ts): this is that check.
    const ajv = new Ajv({ strict: false });
    const invalid = built
      .routeSchemas()
      .filter((entry) => !ajv.validateSchema(entry.schema as object))
      .map((entry) => `${entry.method} ${entry.url} ${entry.part}: ${ajv.errorsText(ajv.errors)}`);
    expect(invalid).toEqual([]);
    expect(ajv.validateSchema({ type: 'object', properties: { name: { type: 'strng' } } })).toBe(false);
  });

  it('the OpenAPI document shows the package schemas for the chat, key and conversation routes', () => {
    const document = built.app.swagger() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      components: { schemas: Record<string, unknown> };
    };
    // Shared schemas are named components; a body is either one of them ($ref) or inline.
    const bodyOf = (path: string, method: string) => {
      const schema = document.paths[path]?.[method]?.requestBody?.content['application/json']?.schema as
        | { $ref?: string }
        | undefined;
      const name = schema?.$ref?.replace('#/components/schemas/', '');
      return name ? document.components.schemas[name] : schema;
    };
    // The document is generated from the registered schemas, so it carries the package's
    // constraints (here: the ones a hand-copied shape would most likely lose).
    expect(JSON.stringify(bodyOf('/v1/chat/completions', 'post'))).toContain('"maxItems":4');
    expect(bodyOf('/api/keys', 'post')).toMatchObject({
      additionalProperties: false,
      required: ['name', 'environment'],
    });
    expect(bodyOf('/api/chats/{id}', 'patch')).toMatchObject({ additionalProperties: false, minProperties: 1 });
  });

  it("lists the same key scopes as packages/core's keyScopes", () => {
    const literals = wire.KeyScopeSchema.anyOf.map((literal) => literal.const);
    expect([...literals].sort()).toEqual([...keyScopes].sort());
    expect((wire.KeyScopesSchema as { maxItems?: number }).maxItems).toBe(keyScopes.length);
  });
});
