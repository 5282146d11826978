import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { SwitchyardError } from '@switchyard/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { registerAuthRoutes } from '../accounts/auth-routes';
import { registerUserRoutes } from '../accounts/user-routes';
import { registerChatSessionRoutes } from '../conversations/chat-session-routes';
import { registerConversationRoutes } from '../conversations/conversation-routes';
import { sendError } from '../edge/error-handler';
import { registerRequestHooks } from '../edge/hooks';
import { createLazyCompilers } from '../edge/lazy-compilers';
import { registerFileRoutes } from '../files/file-routes';
import { registerAsyncChatRoutes } from '../gateway/async-chat-routes';
import { registerEmbeddingsRoutes } from '../gateway/embeddings-routes';
import { registerNativeChatRoutes } from '../gateway/native-chat-routes';
import { registerOpenAIRoutes } from '../gateway/openai-routes';
import { registerImageRoutes } from '../images/image-routes';
import { registerAdminJobRoutes } from '../jobs/admin-job-routes';
import { registerAccountKeyRoutes } from '../keys/account-key-routes';
import { registerAdminRoutes } from '../keys/admin-routes';
import { registerOperationsRoutes } from '../operations/operations-routes';
import { registerTemplateRoutes } from '../templates/template-routes';
import { registerAdminUsageRoutes } from '../usage/admin-usage-routes';
import { version } from '../version';
import { registerWebApp } from '../web-app/web-app-routes';
import type { Runtime } from './runtime';

export { version };

export interface BuiltApp {
  app: FastifyInstance;
  /** Flips /ready to 503 so load balancers stop sending traffic while in-flight requests finish. */
  startDraining(): void;
  /** Route validators and serializers are compiled on first use; this compiles the rest now (tests). */
  compilePendingSchemas(): number;
}

/** The HTTP API on top of a runtime. Tests build it and call `inject` or listen on port 0. */
export async function buildApp(runtime: Runtime): Promise<BuiltApp> {
  let draining = false;
  const lazyCompilers = createLazyCompilers();
  const app = Fastify({
    loggerInstance: runtime.logger as FastifyBaseLogger,
    bodyLimit: runtime.config.bodyLimitBytes,
    trustProxy: runtime.config.trustProxy,
    // Keep-alive sockets are closed when idle at shutdown; busy ones finish their response first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Each route's ajv validator and response serializer is generated on its first request, not at start.
    schemaController: { compilersFactory: lazyCompilers.compilersFactory },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchyard API',
        version,
        description:
          'Self-hosted AI gateway. Native API under /v1 (chat, status, admin) and OpenAI-compatible routes ' +
          '(/v1/chat/completions, /v1/models). Authenticate with `Authorization: Bearer <key>`; keys start with ' +
          '`prod_` or `dev_` and every response says its environment in `X-Environment`. Errors are ' +
          '`{"error":{"code":"SY_ERR_*","message":"..."}}` (OpenAI-shaped on OpenAI-compatible routes).',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'prod_…, dev_… or gt_… key' } },
      },
      tags: [
        { name: 'Chat', description: 'Native chat API' },
        { name: 'OpenAI-compatible', description: 'Works with official OpenAI client libraries' },
        { name: 'Images', description: 'Image generation (jobs, quotas)' },
        { name: 'Admin', description: 'Settings, keys and jobs (admin keys only)' },
        { name: 'Operations', description: 'Health, readiness, metrics, status' },
        {
          name: 'Conversations',
          description: 'Chats, messages, templates, search, shares, streaming answers and files (signed-in users)',
        },
        {
          name: 'Accounts',
          description: 'Users, your own API keys and roles; sign-in itself is under /api/auth (better-auth)',
        },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  // Only JSON bodies are accepted; text/plain gets a clear 415 instead of a confusing schema error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new SwitchyardError('SY_ERR_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
  registerRequestHooks(app, runtime);
  // A keep-alive connection that was busy when draining began (a long stream) stays open after its
  // response ends, holding shutdown until the client lets go or the timeout cuts it: close it once idle.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (draining) setImmediate(() => app.server.closeIdleConnections());
    done();
  });

  registerOperationsRoutes(app, runtime, () => draining);
  registerNativeChatRoutes(app, runtime);
  registerOpenAIRoutes(app, runtime);
  registerEmbeddingsRoutes(app, runtime);
  registerAsyncChatRoutes(app, runtime);
  registerImageRoutes(app, runtime);
  registerAdminJobRoutes(app, runtime);
  registerAdminRoutes(app, runtime);
  registerAuthRoutes(app, runtime);
  registerUserRoutes(app, runtime);
  registerAccountKeyRoutes(app, runtime);
  registerConversationRoutes(app, runtime);
  registerTemplateRoutes(app, runtime);
  registerChatSessionRoutes(app, runtime);
  registerFileRoutes(app, runtime);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerAdminUsageRoutes(app, runtime);
  await registerWebApp(app);

  return {
    app,
    startDraining() {
      draining = true;
    },
    compilePendingSchemas: () => lazyCompilers.compilePending(),
  };
}
