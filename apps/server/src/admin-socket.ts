import { chmod, rm } from 'node:fs/promises';
import { type Environment, isEnvironment, SwitchyardError } from '@switchyard/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { errorBody, normalizeError } from './http/error-handler';
import type { Runtime } from './runtime/runtime';

/**
 * Embedded mode: PGlite is single-process, so the CLI never opens the data
 * directory a running server holds. It talks to the server over this Unix
 * socket instead; the socket file is readable by the owner only.
 */
export async function startAdminSocket(runtime: Runtime, socketPath: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.setErrorHandler((error, _request, reply) => {
    const normalized = normalizeError(error);
    return reply.code(normalized.status).send(errorBody(normalized, false));
  });
  app.get('/ping', async () => ({ pid: process.pid, mode: runtime.mode }));
  app.get<{ Querystring: { includeRevoked?: string } }>('/keys', async (request) => ({
    keys: await runtime.keyService.list({ includeRevoked: request.query.includeRevoked === 'true' }),
  }));
  app.post<{ Body: { name?: unknown; environment?: unknown; admin?: unknown } }>('/keys', async (request, reply) => {
    const { name, environment, admin } = request.body ?? {};
    if (typeof name !== 'string' || !isEnvironment(environment)) {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'name (string) and environment (prod|dev) are required');
    }
    const created = await runtime.keyService.create({
      name,
      environment: environment as Environment,
      admin: admin === true,
    });
    return reply.code(201).send(created);
  });
  app.post<{ Params: { id: string } }>('/keys/:id/revoke', async (request) =>
    runtime.keyService.revoke(request.params.id),
  );

  app.addHook('onClose', async () => {
    await rm(socketPath, { force: true });
  });
  await rm(socketPath, { force: true });
  await app.listen({ path: socketPath });
  await chmod(socketPath, 0o600);
  return app;
}
