import { chmod, rm } from 'node:fs/promises';
import { type Environment, isEnvironment, isKeyScope, type SecretScrubber, SwitchyardError } from '@switchyard/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AccountService } from '../accounts/account-service';
import { errorBody, normalizeError } from '../edge/error-handler';
import type { KeyAdministration } from '../keys/key-service';

export interface AdminSocketDependencies {
  readonly mode: 'embedded' | 'server';
  readonly keyService: KeyAdministration;
  readonly accounts: Pick<AccountService, 'createUser'>;
  readonly secrets: SecretScrubber;
  /** What GET /v1/models of that environment lists (`switchyard models list`). */
  readonly listModels: (environment: Environment) => readonly unknown[];
  /** `switchyard backup` while this server holds the embedded databases: the backup runs in here. */
  readonly backup?: () => Promise<{ path: string; manifest: unknown; pruned: readonly string[] }>;
}

/**
 * Embedded mode: PGlite is single-process, so the CLI never opens the data
 * directory a running server holds. It talks to the server over this Unix
 * socket instead; the socket file is readable by the owner only.
 */
export async function startAdminSocket(parts: AdminSocketDependencies, socketPath: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.setErrorHandler((error, _request, reply) => {
    const normalized = normalizeError(error);
    return reply.code(normalized.status).send(errorBody(normalized, false, parts.secrets));
  });
  app.get('/ping', async () => ({ pid: process.pid, mode: parts.mode }));
  app.get<{ Querystring: { includeRevoked?: string } }>('/keys', async (request) => ({
    keys: await parts.keyService.list({ includeRevoked: request.query.includeRevoked === 'true' }),
  }));
  app.post<{ Body: { name?: unknown; environment?: unknown; admin?: unknown; scopes?: unknown } }>(
    '/keys',
    async (request, reply) => {
      const { name, environment, admin, scopes } = request.body ?? {};
      if (typeof name !== 'string' || !isEnvironment(environment)) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'name (string) and environment (prod|dev) are required');
      }
      if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every(isKeyScope))) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'scopes must be a list of chat, images, messages, admin');
      }
      const created = await parts.keyService.create({
        name,
        environment: environment as Environment,
        admin: admin === true,
        ...(scopes ? { scopes } : {}),
      });
      return reply.code(201).send(created);
    },
  );
  app.post<{ Body: { email?: unknown; password?: unknown; name?: unknown } }>('/admins', async (request, reply) => {
    const { email, password, name } = request.body ?? {};
    if (typeof email !== 'string' || typeof password !== 'string' || (name !== undefined && typeof name !== 'string')) {
      throw new SwitchyardError('SY_ERR_VALIDATION', 'email and password (strings) are required');
    }
    const user = await parts.accounts.createUser({
      email,
      password,
      role: 'admin',
      ...(typeof name === 'string' ? { name } : {}),
    });
    return reply.code(201).send(user);
  });
  app.get<{ Querystring: { environment?: string } }>('/models', async (request) => {
    const environment = request.query.environment ?? 'prod';
    if (!isEnvironment(environment)) throw new SwitchyardError('SY_ERR_VALIDATION', 'environment must be prod or dev');
    return { data: parts.listModels(environment) };
  });
  app.post('/backups', async (_request, reply) => {
    if (!parts.backup) throw new SwitchyardError('SY_ERR_NOT_FOUND', 'this server does not take backups');
    return reply.code(201).send(await parts.backup());
  });
  app.post<{ Params: { id: string } }>('/keys/:id/revoke', async (request) =>
    parts.keyService.revoke(request.params.id),
  );

  app.addHook('onClose', async () => {
    await rm(socketPath, { force: true });
  });
  await rm(socketPath, { force: true });
  await app.listen({ path: socketPath });
  await chmod(socketPath, 0o600);
  return app;
}
