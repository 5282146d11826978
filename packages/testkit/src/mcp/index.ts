import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A real MCP server written with the official SDK (tools: echo, add, slow, big, broken, steps, grow). */
export const testMcpServerPath = fileURLToPath(new URL('./test-mcp-server.mjs', import.meta.url));

export interface RunningMcpHttpServer {
  /** The Streamable HTTP endpoint, http://127.0.0.1:<port>/mcp. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the test MCP server over Streamable HTTP as its own process. */
export async function startTestMcpHttpServer(): Promise<RunningMcpHttpServer> {
  const child = spawn(process.execPath, [testMcpServerPath, '--http', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`test MCP server exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
