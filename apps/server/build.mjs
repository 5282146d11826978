#!/usr/bin/env node
// Bundles the `switchyard` CLI (TypeScript) into apps/server/dist so a start needs no tsx.
//
//   node apps/server/build.mjs              build (about a second)
//   node apps/server/build.mjs --if-stale   build only when the bundle is missing or a source changed
//
// Our own packages (@switchyard/*) are bundled; npm packages stay external and load from
// node_modules as usual (measured: see docs/benchmarks.md, "Cold start and memory after the
// bundle"). Code splitting keeps every role's imports apart: the CLI entry loads almost nothing
// and each command imports what it needs. dist/manifest.json lists every input with its mtime
// and size; bin/switchyard.js runs the bundle only while they all still match, and the TypeScript
// source through tsx otherwise, so a stale bundle never runs.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBundle } from './bin/current-bundle.js';

const serverDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(serverDir, '../..');
const outDir = join(serverDir, 'dist');

/** esbuild is a devDependency here; tsx (a dependency) brings its own, so `npm ci --omit=dev` can build too. */
async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    return import(fromTsx.resolve('esbuild'));
  }
}

/**
 * Packages that must load from node_modules even when npm packages are bundled: they find files
 * next to their own code (WebAssembly, language data, static assets, workers) or are optional.
 */
const alwaysExternal = [
  '@electric-sql/pglite',
  'tesseract.js',
  '@tesseract.js-data/eng',
  '@fastify/swagger-ui',
  '@fastify/static',
  'unpdf',
  'mammoth',
  'pg-native',
];

const isAlwaysExternal = (path) => alwaysExternal.some((name) => path === name || path.startsWith(`${name}/`));

/** Without bundlePackages every npm package stays external: Node loads it from node_modules as for the source. */
const externalPackages = (bundlePackages) => ({
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@switchyard/')) return undefined;
      if (args.path.startsWith('node:') || !bundlePackages || isAlwaysExternal(args.path)) {
        return { path: args.path, external: true };
      }
      return undefined;
    });
  },
});

// Bundled CommonJS packages call require() and read __dirname; ESM has neither.
const commonJsBanner = [
  "import { createRequire as __switchyardCreateRequire } from 'node:module';",
  "import { fileURLToPath as __switchyardFileURLToPath } from 'node:url';",
  'const require = __switchyardCreateRequire(import.meta.url);',
  'const __filename = __switchyardFileURLToPath(import.meta.url);',
  "const __dirname = __switchyardFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

/**
 * `import.meta.url` in a bundled module would name the bundle, not the source file, so paths
 * relative to it (migrations, the web app's dist, package lookups) would break. Each file gets
 * its own URL back, computed relative to the bundle so the tree stays relocatable.
 */
const sourceImportMetaUrl = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const fromBundle = relative(outDir, args.path).split('\\').join('/');
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

export async function build({ bundlePackages = true } = {}) {
  const esbuild = await loadEsbuild();
  const started = performance.now();
  const startedAt = Date.now();
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    // The extraction worker thread runs its own entry (see src/files/extract-in-worker.ts).
    entryPoints: {
      cli: join(serverDir, 'src/cli/cli.ts'),
      'extract-worker': join(serverDir, 'src/files/extract-worker.ts'),
    },
    // Tells the source it runs from the bundle (for the worker's entry file).
    define: { SWITCHYARD_BUNDLE: 'true' },
    outdir: outDir,
    write: false,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    // Whitespace and syntax only: names stay readable in stack traces. ~10 MB less RSS (parsed code).
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages(bundlePackages), sourceImportMetaUrl],
    ...(bundlePackages ? { banner: { js: commonJsBanner } } : {}),
  });
  // Our sources one by one; a bundled npm package by its package.json (its version changes with it).
  const watched = new Set(['apps/server/build.mjs', 'apps/server/package.json']);
  for (const input of Object.keys(result.metafile.inputs)) {
    const packageDir = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    watched.add(packageDir ? `${packageDir}/package.json` : input);
  }
  const inputs = {};
  let changedDuringBuild = null;
  for (const input of [...watched].sort()) {
    const info = await stat(join(repoRoot, input)).catch(() => null);
    if (!info) continue;
    inputs[input] = [info.mtimeMs, info.size];
    if (info.mtimeMs >= startedAt) changedDuringBuild ??= input;
  }

  // Chunks have content hashes: new ones are added beside the old ones, which a server started
  // from the previous bundle may still import lazily. Each file is renamed into place (atomic),
  // chunks first, then the entry, then the manifest that makes the bin trust the bundle.
  await mkdir(outDir, { recursive: true });
  const entry = join(outDir, 'cli.js');
  const ordered = [...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  for (const file of ordered) await writeAtomically(file.path, file.contents);
  await writeAtomically(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
  const manifestPath = join(outDir, 'manifest.json');
  if (changedDuringBuild) {
    // A file saved while esbuild read the sources: the bundle may hold its old text. Leave no
    // manifest, so the bin runs the source until the next build.
    await rm(manifestPath, { force: true });
  } else {
    await writeAtomically(manifestPath, `${JSON.stringify({ builtAt: new Date().toISOString(), inputs })}\n`);
  }
  await pruneOldChunks(new Set(ordered.map((file) => file.path)));
  return { ms: Math.round(performance.now() - started), inputs: Object.keys(inputs).length, changedDuringBuild };
}

async function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/** Chunks of earlier builds, once no process started in the last day can still want them. */
async function pruneOldChunks(current) {
  const dayAgo = Date.now() - 24 * 3_600_000;
  for (const name of await readdir(outDir)) {
    const path = join(outDir, name);
    if (current.has(path) || ['cli.js', 'extract-worker.js', 'manifest.json', 'meta.json'].includes(name)) continue;
    const info = await stat(path).catch(() => null);
    if (info && info.mtimeMs < dayAgo) await rm(path, { force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && currentBundle()) process.exit(0);
  const { ms, inputs, changedDuringBuild } = await build({
    bundlePackages: !process.argv.includes('--external-packages'),
  });
  process.stderr.write(`switchyard: bundled the CLI into apps/server/dist (${inputs} inputs, ${ms} ms)\n`);
  if (changedDuringBuild) {
    process.stderr.write(
      `switchyard: ${changedDuringBuild} changed during the build; the bin runs the source until the next build\n`,
    );
  }
}
