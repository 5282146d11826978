import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const buildScript = fileURLToPath(new URL('../../../../examples/shop-app/build.mjs', import.meta.url));
let built: Promise<string> | null = null;

/** The example shop app built from its current source (once per test process, into a temp dir). */
function shopAppBundle(): Promise<string> {
  built ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'switchyard-shop-app-')), 'server.js');
    await promisify(execFile)(process.execPath, [buildScript, outfile]);
    return outfile;
  })();
  return built;
}

export interface RunningShopApp {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts examples/shop-app as its own process (as `node dist/server.js` runs in its container),
 * on a free port, and waits for its "listening" line.
 */
export async function startShopApp(options: { secret: string; stepMs?: number }): Promise<RunningShopApp> {
  const bundle = await shopAppBundle();
  const child = spawn(process.execPath, [bundle], {
    env: {
      PATH: process.env.PATH ?? '',
      SHOP_APP_SECRET: options.secret,
      PORT: '0',
      HOST: '127.0.0.1',
      SHOP_APP_STEP_MS: String(options.stepMs ?? 0),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`shop app exited with ${code} before listening: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
