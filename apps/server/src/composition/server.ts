import type { SwitchyardConfig } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { startAdminSocket } from '../cli/admin-socket';
import { readChatsOnce } from '../conversations/conversation-store';
import { listenBacklog } from '../edge/listener-close';
import { listAllModels } from '../gateway/model-list';
import { backupAndPrune } from '../operations/backup/backup-job';
import { firstLoadRoutes } from '../web-app/first-load-routes';
import { buildApp } from './app';
import { createServerParts, type Role, type ServerParts, type ServerPartsOptions } from './server-parts';

export interface RunningServer {
  parts: ServerParts;
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  /**
   * The shutdown sequence: /ready answers 503 while requests are still served for the drain delay
   * (SHUTDOWN_DRAIN_DELAY_SECONDS), then the listener closes, in-flight requests and streams finish (up to
   * SHUTDOWN_TIMEOUT_MS), usage rows are flushed, dependencies closed and the data dir released.
   */
  close(): Promise<void>;
  /** Ends the drain delay of a close() under way now (a second SIGTERM, or Ctrl-C pressed again). */
  endDrainDelay(): void;
  /** Requests the fast path of `POST /v1/chat/completions` answered (0 when it is off). */
  fastPathRequests(): number;
}

export async function startServer(
  config: SwitchyardConfig,
  logger: Logger,
  role: Role,
  options: ServerPartsOptions = {},
): Promise<RunningServer> {
  const bootStarted = performance.now();
  const parts = await createServerParts(config, logger, role, options);
  let adminSocket: FastifyInstance | null = null;
  try {
    const { app, startDraining, stopAccepting, inFlight, fastPathRequests, compileAhead, prepareFirstScreen } =
      await buildApp(parts);
    if (parts.adminSocketPath) {
      const created = Math.floor(Date.now() / 1000);
      adminSocket = await startAdminSocket(
        {
          ...parts,
          listModels: (environment) => listAllModels(parts, environment, created),
          backup: () => backupAndPrune(parts),
        },
        parts.adminSocketPath,
      );
    }
    await app.listen({ host: config.host, port: config.port, backlog: listenBacklog });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    parts.accounts.listeningOn(port);
    parts.notifications.listeningOn(port);
    parts.models.startAutodetect();
    logger.info(
      {
        url,
        mode: parts.mode,
        role,
        dataDir: parts.mode === 'embedded' ? config.dataDir : undefined,
        models: parts.models.list().map((model) => model.id),
        bootMs: Math.round(performance.now() - bootStarted),
      },
      `Switchyard listening on ${url} (API docs at ${url}/docs)`,
    );
    // In the background, a second after listening (so a readiness probe's first /ready, whose database
    // checks would queue behind these reads, is not held up): what the chat page's first load would
    // otherwise pay on its own requests (its routes' validators and serializers; in embedded mode, the
    // database's first reads of chats and messages; the first screen's module and its first render). A stop cancels it, or waits for it before the
    // databases close.
    let preparing: Promise<void> = Promise.resolve();
    const prepareFirstLoad =
      role === 'worker'
        ? null
        : setTimeout(() => {
            preparing = (async () => {
              if (parts.mode === 'embedded') await readChatsOnce(parts.databases.prod.db);
              await compileAhead(firstLoadRoutes);
              await prepareFirstScreen();
            })().catch((error: unknown) => logger.warn({ err: error }, 'preparing the first page load failed'));
          }, 1_000).unref();
    if (role !== 'worker') {
      void parts.accounts
        .nextAccountBecomesAdmin()
        .then((noAdminYet) => {
          if (noAdminYet) logger.info(`No admin yet: the first account to sign up at ${url}/signup becomes the admin`);
        })
        .catch(() => {});
    }

    let closing: Promise<void> | null = null;
    let endDrainDelay = () => {};
    return {
      parts,
      app,
      url,
      endDrainDelay: () => endDrainDelay(),
      fastPathRequests,
      close() {
        closing ??= (async () => {
          if (prepareFirstLoad) clearTimeout(prepareFirstLoad);
          startDraining();
          const drainDelayMs = config.shutdownDrainDelayMs;
          if (drainDelayMs > 0) {
            logger.info(
              { drainDelayMs },
              'draining: /ready answers 503 while requests are still served; the listener closes after the drain delay',
            );
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, drainDelayMs);
              endDrainDelay = () => {
                clearTimeout(timer);
                resolve();
              };
            });
          }
          // Requests sent before now may still wait unread in the accept backlog or a socket's buffer when the
          // event loop was busy as they came (embedded mode runs its PGlite queries on this thread): each is
          // accepted and read before the listener and idle connections close, so it gets an answer
          // (SY_ERR_SHUTTING_DOWN with Retry-After) instead of a reset.
          const { accepted, queued } = await stopAccepting();
          const connections = await new Promise<number>((resolve) =>
            app.server.getConnections((error, count) => resolve(error ? -1 : count)),
          );
          logger.info(
            { inFlight: inFlight(), connections, queuedAtStop: queued, acceptedWhileClosing: accepted },
            'stopped accepting: finishing in-flight requests and streams',
          );
          const timeout = setTimeout(() => {
            logger.warn('in-flight requests did not finish in time; closing their connections');
            app.server.closeAllConnections();
          }, config.shutdownTimeoutMs);
          timeout.unref();
          await app.close();
          clearTimeout(timeout);
          await adminSocket?.close();
          await preparing;
          await parts.close();
          logger.info('Switchyard stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    await adminSocket?.close().catch(() => {});
    await parts.close();
    throw error;
  }
}
