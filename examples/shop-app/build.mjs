#!/usr/bin/env node
// Bundles the shop app (and @switchyard/app-protocol, which is TypeScript) into one file that
// plain Node runs: `node examples/shop-app/build.mjs [outfile]` (default dist/server.js).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = dirname(fileURLToPath(import.meta.url));
const outfile = resolve(process.argv[2] ?? join(appDir, 'dist', 'server.js'));

/** esbuild comes with tsx (a dependency of the server), so `npm ci --omit=dev` can build too. */
async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    return import(fromTsx.resolve('esbuild'));
  }
}

const esbuild = await loadEsbuild();
await esbuild.build({
  entryPoints: [join(appDir, 'src', 'server.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
