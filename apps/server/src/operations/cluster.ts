import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { serveClusterMetrics } from './cluster-metrics';

/** `--workers auto` means one per core. */
export function parseWorkerCount(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new Error(`--workers takes a whole number from 1 to 256, or auto (got '${value}')`);
  }
  return count;
}

/**
 * Runs `count` copies of the API in worker processes sharing one listening
 * port (Node's cluster module hands connections out round-robin). A worker
 * that dies is replaced; SIGTERM drains every worker, then the primary exits. The primary only
 * forks and merges the workers' /metrics: callers import the server in `runWorker`, so the
 * primary never loads it (and stays a few tens of MB).
 */
export function runClustered(count: number, logger: Logger, runWorker: () => Promise<void>): Promise<void> {
  if (!cluster.isPrimary) return runWorker();
  cluster.setupPrimary({ silent: false });
  serveClusterMetrics();
  let stopping = false;
  for (let index = 0; index < count; index += 1) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'API worker died; starting another');
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: count }, 'shutting down all API workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logger.info({ workers: count }, `starting ${count} API worker processes`);
  return Promise.resolve();
}
