import type { ChildProcess } from 'node:child_process';
import type { Summary } from './stats';

/** What the orchestrator sends a load worker: one autocannon run (after a warm-up) against one URL. */
export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Collect every response time (autocannon's own histogram only resolves whole milliseconds). */
  recordLatencies: boolean;
}

export interface LoadResult {
  /** 2xx responses during the warm-up run, which is otherwise not reported. */
  warmupOk: number;
  durationSeconds: number;
  responses: number;
  ok: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** autocannon's histogram: whole milliseconds. */
  latencyMilliseconds: { p50: number; p99: number; mean: number };
  /** Every 2xx response time, in microseconds, when asked for. */
  latencyMicroseconds?: Summary;
}

/** Streaming measurements at concurrency 1: time to the first `data:` frame and to the end. */
export interface TtftJob {
  kind: 'ttft';
  url: string;
  headers: Record<string, string>;
  body: string;
  requests: number;
  warmupRequests: number;
}

export interface TtftResult {
  ttftMicroseconds: Summary;
  totalMicroseconds: Summary;
  /** `data:` frames per stream, [DONE] included; the same for every target if nothing is lost. */
  framesPerStream: number;
  failures: number;
  /** Streams read to the end, warm-up included. */
  completed: number;
}

/** Opens `streams` streams in batches and keeps them open until told to close them. */
export interface HoldJob {
  kind: 'hold';
  url: string;
  headers: Record<string, string>;
  body: string;
  streams: number;
  batchSize: number;
  /** Stop opening more once this much time has passed (a slow gateway would otherwise take minutes). */
  maxOpeningMs: number;
}

export type HoldMessage =
  | { type: 'progress'; open: number; failed: number; final: boolean; firstError?: string }
  | { type: 'count'; open: number; stillOpen: number }
  | { type: 'closed'; open: number; failed: number };

/** Sends one job to a worker process and resolves with its single result message. */
export function exchange<Result>(child: ChildProcess, job: unknown): Promise<Result> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const typed = message as { type?: string; result?: Result; error?: string };
      if (typed.type === 'result') {
        cleanup();
        resolve(typed.result as Result);
      } else if (typed.type === 'error') {
        cleanup();
        reject(new Error(typed.error));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`worker exited with code ${code} before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(job as object);
  });
}
