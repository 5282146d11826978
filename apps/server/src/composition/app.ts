import swagger from '@fastify/swagger';
import { createMemorySessionLog, SwitchyardError } from '@switchyard/core';
import { createRedisSessionLog } from '@switchyard/redis';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { registerAuthRoutes } from '../accounts/auth-routes';
import { registerUserRoutes } from '../accounts/user-routes';
import { registerAdminAppRoutes } from '../apps/admin-app-routes';
import { registerAppRoutes } from '../apps/app-routes';
import { registerMcpEndpointRoutes } from '../apps/mcp-endpoint-routes';
import { registerProjectAppRoutes } from '../apps/project-app-routes';
import { registerSkillJobRoutes } from '../apps/skill-job-routes';
import { registerAudioRoutes } from '../audio/audio-routes';
import { registerChatSessionRoutes } from '../conversations/chat-session-routes';
import { registerChatSettingsRoutes } from '../conversations/chat-settings-routes';
import { registerConversationRoutes } from '../conversations/conversation-routes';
import { registerCors } from '../edge/cors';
import { registerDocsRoutes } from '../edge/docs-routes';
import { sendError } from '../edge/error-handler';
import { createFastPath, installFastPath } from '../edge/fast-path';
import { registerRequestHooks } from '../edge/hooks';
import { createLazyCompilers, type RouteSchema } from '../edge/lazy-compilers';
import { closeListenerKeepingBacklog } from '../edge/listener-close';
import { securitySchemes, transformDocument, transformRouteSchema } from '../edge/openapi';
import { requestIdFrom } from '../edge/request-context';
import { closeConnectionAfter, createRequestTracker } from '../edge/request-tracker';
import { registerSecurityHeaders, securityHeaderList } from '../edge/security-headers';
import { registerTextInputCheck } from '../edge/text-input';
import { registerAdminEventRoutes } from '../events/admin-event-routes';
import { registerFlowEventRoutes } from '../events/flow-event-routes';
import { registerFileRoutes } from '../files/file-routes';
import { registerAnthropicRoutes } from '../gateway/anthropic-routes';
import { registerAsyncChatRoutes } from '../gateway/async-chat-routes';
import { registerCompletionsRoutes } from '../gateway/completions-routes';
import { registerEmbeddingsRoutes } from '../gateway/embeddings-routes';
import { registerModerationsRoutes } from '../gateway/moderations-routes';
import { registerNativeChatRoutes } from '../gateway/native-chat-routes';
import { registerOllamaRoutes } from '../gateway/ollama-routes';
import { chatCompletionsFastRoute, registerOpenAIRoutes } from '../gateway/openai-routes';
import { registerResponsesRoutes } from '../gateway/responses-routes';
import { registerGiftFinderRoutes } from '../gift-finder/gift-finder-routes';
import { registerGalleryRoutes } from '../images/gallery-routes';
import { registerImageRoutes } from '../images/image-routes';
import { registerConnectionMetrics } from '../infrastructure/metrics';
import { registerAdminJobRoutes } from '../jobs/admin-job-routes';
import { registerAccountKeyRoutes } from '../keys/account-key-routes';
import { registerAdminKeyRoutes } from '../keys/admin-key-routes';
import { registerAdminWhatsAppRoutes } from '../messaging/admin-whatsapp-routes';
import { registerMessageRoutes } from '../messaging/message-routes';
import { registerWhatsAppWebhookRoutes } from '../messaging/whatsapp-webhook-routes';
import { registerAdminNotificationRoutes } from '../notifications/admin-notification-routes';
import { registerNotificationRoutes } from '../notifications/notification-routes';
import { registerOperationsRoutes } from '../operations/operations-routes';
import { registerPlanRoutes } from '../plans/plan-routes';
import { registerAdminProjectRoutes } from '../projects/admin-project-routes';
import { registerProjectRoutes } from '../projects/project-routes';
import { registerAdminScheduleRoutes } from '../schedules/admin-schedule-routes';
import { registerSearchRoutes } from '../searches/search-routes';
import { registerAdminSettingRoutes } from '../settings/admin-setting-routes';
import { registerTemplateRoutes } from '../templates/template-routes';
import { registerAdminUsageRoutes } from '../usage/admin-usage-routes';
import { version } from '../version';
import { registerWebApp } from '../web-app/web-app-routes';
import type { ServerParts } from './server-parts';

export { version };

export interface BuiltApp {
  app: FastifyInstance;
  /**
   * Shutdown, first step: /ready answers 503 so load balancers stop sending traffic, while requests are
   * still served (each response with `Connection: close`, so kept-alive connections wind down).
   */
  startDraining(): void;
  /**
   * Second step: requests that still arrive are refused with SY_ERR_SHUTTING_DOWN, and each connection is
   * closed once its response is out; the listener closes once the connections the kernel already holds are
   * accepted and their requests read (see closeListenerKeepingBacklog). Resolves when the port is closed,
   * with how many connections were waiting to be accepted then and how many were accepted meanwhile.
   */
  stopAccepting(): Promise<{ accepted: number; queued: number }>;
  /** Requests in flight now (the shutdown logs them). */
  inFlight(): number;
  /** Route validators and serializers are compiled on first use; this compiles the rest now (tests). */
  compilePendingSchemas(): number;
  /** Every schema the routes registered (a test checks each comes from @switchyard/api-schemas). */
  routeSchemas(): readonly RouteSchema[];
  /**
   * Compiles the validators and serializers of these routes (`GET /api/me`) now, one build per turn of
   * the event loop so a request that arrives meanwhile waits for one build at most; resolves with how
   * many it built.
   */
  compileAhead(routes: readonly string[]): Promise<number>;
  /** Requests the fast path of the hot chat route answered (0 when it is off). */
  fastPathRequests(): number;
  /** Loads and warms the chat page's first screen (web-app/first-screen-http.ts); nothing without the built web app. */
  prepareFirstScreen(): Promise<void>;
}

/**
 * The HTTP API on top of the server's parts: each capability registers its routes and gets
 * exactly the parts its dependency type names. Tests build it and call `inject` or listen on port 0.
 */
export async function buildApp(parts: ServerParts): Promise<BuiltApp> {
  let draining = false;
  let stopping = false;
  // Set once the listener is closed and what it had accepted is read: only then is an idle connection one
  // with nothing unread on it.
  let listenerClosed = false;
  const lazyCompilers = createLazyCompilers();
  const app = Fastify({
    loggerInstance: parts.logger as FastifyBaseLogger,
    bodyLimit: parts.config.bodyLimitBytes,
    trustProxy: parts.config.trustProxy,
    // Keep-alive sockets are closed when idle at shutdown; busy ones finish their response first.
    forceCloseConnections: 'idle',
    // Requests that arrive while draining get SY_ERR_SHUTTING_DOWN from the edge hooks (with a usage row).
    return503OnClosing: false,
    // Fastify's two lines per request are off: the edge hooks write one access-log line instead.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Request-Id from the client or proxy when it is a sane id, a new UUID otherwise; echoed back.
    requestIdHeader: false,
    genReqId: (raw) => requestIdFrom(raw.headers['x-request-id']),
    // validateSchema: ajv would first compile the JSON Schema meta-schema to check each route schema
    // against it, 0.1-0.4 s of the first request after a start; the schemas are fixed at build time, so
    // a test checks every one against the meta-schema instead (edge/api-schemas.test.ts).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, validateSchema: false } },
    // Each route's ajv validator and response serializer is generated on its first request, not at start.
    schemaController: { compilersFactory: lazyCompilers.compilersFactory },
    // Fastify's default of 10 s per plugin was exceeded by @fastify/swagger-ui on a 2-core machine at load
    // 20 and more, and the start failed; a plugin that really hangs is still reported, after a minute.
    pluginTimeout: 60_000,
  });

  await registerSecurityHeaders(app);
  await registerCors(app, parts.config.corsOrigins);
  await app.register(swagger, {
    // Each operation says who may call it (x-switchyard-auth: none, optional, required, session or admin,
    // and its security), so clients, and the test that checks every admin route's environment isolation,
    // can read it; see edge/openapi.ts for what else is added to the generated document.
    transform: transformRouteSchema,
    transformObject: (documentObject) =>
      transformDocument(
        ('openapiObject' in documentObject ? documentObject.openapiObject : {}) as Record<string, unknown>,
        parts.config.publicUrl,
      ),
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
        securitySchemes,
      },
      tags: [
        { name: 'Chat', description: 'Native chat API' },
        { name: 'OpenAI-compatible', description: 'Works with official OpenAI client libraries' },
        {
          name: 'Anthropic-compatible',
          description: "Anthropic's Messages API in front of every provider (official Anthropic clients)",
        },
        { name: 'Ollama-compatible', description: "Ollama's API in front of every provider (key auth, never cookies)" },
        { name: 'Images', description: 'Image generation (jobs, quotas)' },
        { name: 'Audio', description: 'Transcription jobs for long recordings, audio quota' },
        { name: 'Apps', description: 'Apps (MCP servers) and their skills' },
        { name: 'Messaging', description: 'Outbound WhatsApp messages and the WhatsApp webhook' },
        { name: 'Admin', description: 'Settings, keys, jobs and dead-lettered events (admin keys only)' },
        { name: 'Events', description: 'Follow the events of a flow you started (server-sent events)' },
        {
          name: 'Notifications',
          description: 'Your notifications, their live stream, preferences per kind and channel, unsubscribe links',
        },
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
  // Swagger UI at /docs, made on its first request (edge/docs-routes.ts).
  registerDocsRoutes(app);

  // Only JSON bodies are accepted; text/plain gets a clear 415 instead of a confusing schema error.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error, parts.secrets));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new SwitchyardError('SY_ERR_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`),
      parts.secrets,
    ),
  );
  const tracker = createRequestTracker();
  registerConnectionMetrics(parts.metrics, {
    ...tracker,
    connections: () =>
      new Promise((resolve) => app.server.getConnections((error, count) => resolve(error ? 0 : count))),
  });
  const rules = registerRequestHooks(app, {
    ...parts,
    tracker,
    accessLog: parts.config.observability?.accessLog ?? { enabled: false, sampleRate: 0, slowMs: 0 },
    tracing: parts.tracing?.requests ?? null,
    isDraining: () => draining,
    isStopping: () => stopping,
  });
  registerTextInputCheck(app);
  // A keep-alive connection that was busy when the server stopped accepting (a long stream) stays open
  // after its response ends, holding shutdown until the client lets go or the timeout cuts it: close it once idle.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (listenerClosed) setImmediate(() => app.server.closeIdleConnections());
    done();
  });

  registerOperationsRoutes(app, parts, () => draining);
  registerNativeChatRoutes(app, parts);
  registerOpenAIRoutes(app, parts);
  registerEmbeddingsRoutes(app, parts);
  registerCompletionsRoutes(app, parts);
  registerModerationsRoutes(app, parts);
  registerAnthropicRoutes(app, parts);
  registerOllamaRoutes(app, parts);
  registerResponsesRoutes(app, parts);
  registerAsyncChatRoutes(app, parts);
  registerImageRoutes(app, parts);
  registerGalleryRoutes(app, parts);
  registerAudioRoutes(app, parts);
  registerMessageRoutes(app, parts);
  await registerWhatsAppWebhookRoutes(app, parts);
  registerAdminWhatsAppRoutes(app, parts);
  registerAdminJobRoutes(app, parts.jobs);
  registerAdminEventRoutes(app, parts.events);
  registerAdminScheduleRoutes(app, parts.schedules);
  registerFlowEventRoutes(app, parts.flows);
  registerAdminSettingRoutes(app, { store: parts.settings, models: parts.models });
  registerAdminKeyRoutes(app, parts.keyService);
  registerAdminUsageRoutes(app, parts);
  await registerPlanRoutes(app, parts);
  registerAuthRoutes(app, parts);
  registerUserRoutes(app, parts.accounts);
  registerAccountKeyRoutes(app, parts.keyService, parts.databases.prod.db);
  registerSearchRoutes(app, parts.searches, parts.databases.prod.db);
  registerProjectRoutes(app, parts.projects, parts.databases.prod.db);
  registerAdminProjectRoutes(app, parts.projects);
  registerConversationRoutes(app, parts.databases);
  registerTemplateRoutes(app, parts.databases);
  registerChatSettingsRoutes(app, parts.databases);
  registerChatSessionRoutes(app, {
    ...parts,
    // With Redis every API process can resume, stop and read any answer; alone, memory is enough.
    log: parts.redis ? createRedisSessionLog(parts.redis) : createMemorySessionLog(),
    sharedLog: parts.redis !== null,
  });
  registerFileRoutes(app, parts);
  registerAppRoutes(app, parts);
  registerProjectAppRoutes(app, parts);
  registerAdminAppRoutes(app, parts);
  registerMcpEndpointRoutes(app, parts);
  registerSkillJobRoutes(app, parts);
  registerGiftFinderRoutes(app, parts);
  registerNotificationRoutes(app, parts.notifications);
  registerAdminNotificationRoutes(app, parts.notifications);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  const webApp = await registerWebApp(app);

  let fastPathRequests = () => 0;
  // The hot chat route straight from the HTTP server, same rules (edge/fast-path.ts). Off with
  // SWITCHYARD_FAST_PATH=0, and when tracing or CORS is configured (their hooks are Fastify's only).
  if (parts.config.fastPath !== false && !parts.tracing?.requests && parts.config.corsOrigins.length === 0) {
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    const fastPath = createFastPath(chatCompletionsFastRoute(parts), {
      rules,
      logger: app.log,
      bodyLimit: parts.config.bodyLimitBytes,
      trustProxy: parts.config.trustProxy,
      secrets: parts.secrets,
      isDraining: () => draining,
      securityHeaders: securityHeaderList(),
      parseJson(text) {
        let parsed: { error: Error | null; body?: unknown } = { error: null };
        jsonParser(undefined as never, text, (error, body) => {
          parsed = { error, body };
        });
        if (parsed.error) throw parsed.error;
        return parsed.body;
      },
      compiled: lazyCompilers.compiled,
      afterResponse() {
        if (listenerClosed) setImmediate(() => app.server.closeIdleConnections());
      },
    });
    installFastPath(app.server, fastPath);
    fastPathRequests = fastPath.served;
  }

  return {
    app,
    prepareFirstScreen: webApp.prepareFirstScreen,
    startDraining() {
      if (draining) return;
      draining = true;
      // Requests in flight answer with `Connection: close` too (unless their headers are out: a stream).
      for (const [request, response] of tracker.entries()) closeConnectionAfter(tracker, request, response);
    },
    async stopAccepting() {
      draining = true;
      stopping = true;
      const drained = await closeListenerKeepingBacklog(app.server);
      listenerClosed = true;
      return drained;
    },
    inFlight: () => tracker.inFlight(),
    compilePendingSchemas: () => lazyCompilers.compilePending(),
    routeSchemas: () => lazyCompilers.routeSchemas(),
    async compileAhead(routes) {
      const builds = routes.flatMap((route) => {
        const [method = '', url = ''] = route.split(' ');
        return lazyCompilers.pendingBuilds(method, url);
      });
      let built = 0;
      for (const build of builds) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (stopping) break;
        if (build()) built++;
      }
      return built;
    },
    fastPathRequests: () => fastPathRequests(),
  };
}
