import type { SwitchyardConfig } from '@switchyard/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { startAdminSocket } from '../cli/admin-socket';
import { buildApp } from './app';
import type { PlatformDependencies } from './platform';
import { createRuntime, type Role, type Runtime } from './runtime';

export interface RunningServer {
  runtime: Runtime;
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Stops accepting, finishes in-flight requests, flushes usage rows, releases the data dir. */
  close(): Promise<void>;
}

export async function startServer(
  config: SwitchyardConfig,
  logger: Logger,
  role: Role,
  platformOptions: Pick<PlatformDependencies, 'jobsCatalog'> = {},
): Promise<RunningServer> {
  const bootStarted = performance.now();
  const runtime = await createRuntime(config, logger, role, platformOptions);
  let adminSocket: FastifyInstance | null = null;
  try {
    const { app, startDraining } = await buildApp(runtime);
    if (runtime.adminSocketPath) adminSocket = await startAdminSocket(runtime, runtime.adminSocketPath);
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    runtime.models.startAutodetect();
    logger.info(
      {
        url,
        mode: runtime.mode,
        role,
        dataDir: runtime.mode === 'embedded' ? config.dataDir : undefined,
        models: runtime.models.list().map((model) => model.id),
        bootMs: Math.round(performance.now() - bootStarted),
      },
      `Switchyard listening on ${url} (API docs at ${url}/docs)`,
    );
    if (role !== 'worker') {
      void runtime.accounts
        .nextAccountBecomesAdmin()
        .then((noAdminYet) => {
          if (noAdminYet) logger.info(`No admin yet: the first account to sign up at ${url}/signup becomes the admin`);
        })
        .catch(() => {});
    }

    let closing: Promise<void> | null = null;
    return {
      runtime,
      app,
      url,
      close() {
        closing ??= (async () => {
          startDraining();
          const timeout = setTimeout(() => {
            logger.warn('in-flight requests did not finish in time; closing their connections');
            app.server.closeAllConnections();
          }, config.shutdownTimeoutMs);
          timeout.unref();
          await app.close();
          clearTimeout(timeout);
          await adminSocket?.close();
          await runtime.close();
          logger.info('Switchyard stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    await adminSocket?.close().catch(() => {});
    await runtime.close();
    throw error;
  }
}
