import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, spawnNode, stopProcess } from './processes';
import type { Summary } from './stats';

export interface StreamShape {
  chunks: number;
  delayMs: number;
}

export interface FakeStats {
  served: number;
  streamsServed: number;
  openStreams: number;
  serviceTimeMicroseconds: Summary;
  rssBytes: number;
}

export interface FakeUpstream {
  child: ChildProcess;
  port: number;
  /** Includes `/v1`, like an OpenAI base URL. */
  baseURL: string;
  configure(shape: StreamShape): Promise<void>;
  stats(): Promise<FakeStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts fake-upstream.ts in its own process and waits for it to listen. */
export async function startFakeUpstream(logFile: string): Promise<FakeUpstream> {
  const child = spawnNode(join(benchDir, 'fake-upstream.ts'), ['0'], { ipc: true, logFile });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { type: string; port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`fake upstream exited with code ${code}; see ${logFile}`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    baseURL: `${origin}/v1`,
    async configure(shape) {
      const response = await fetch(`${origin}/__config`, { method: 'POST', body: JSON.stringify(shape) });
      if (!response.ok) throw new Error(`configuring the fake upstream failed: ${response.status}`);
    },
    async stats() {
      return (await (await fetch(`${origin}/__stats`)).json()) as FakeStats;
    },
    async reset() {
      await fetch(`${origin}/__reset`, { method: 'POST' });
    },
    async stop() {
      await stopProcess(child, 5000);
    },
  };
}
