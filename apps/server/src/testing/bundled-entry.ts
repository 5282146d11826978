/**
 * Child processes of tests (workers, schedulers, racers) start from one bundled file instead of
 * loading the TypeScript sources through tsx on every spawn: tsx transpiles and Node's ESM loader
 * resolves hundreds of files per child, seconds of CPU each on a loaded 2-core machine. The entry
 * is bundled once per test process (esbuild, Switchyard's own sources in; npm packages stay
 * external and load from node_modules as usual) and every spawn runs the bundle with plain node.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Every npm package (and node:) stays outside the bundle; @switchyard/* workspace sources go in. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@switchyard/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * `import.meta.url` in a bundle would name the bundle; each source file keeps its own (migrations,
 * the extraction worker and other files found next to a module still are), and so does the check
 * an entry makes that it is the process's main module.
 */
const sourceImportMeta: Plugin = {
  name: 'source-import-meta',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.(ts|mts|tsx)$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const contents = source
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts', resolveDir: dirname(args.path) };
    });
  },
};

interface Bundle {
  readonly outfile: string;
  /** Every source file in it, and when the build began: an edit after that makes it stale (watch mode). */
  readonly inputs: readonly string[];
  readonly startedAt: number;
}

const bundles = new Map<string, Promise<Bundle>>();
const outRoots = new Set<string>();
process.once('exit', () => {
  for (const directory of outRoots) rmSync(directory, { recursive: true, force: true });
});

/**
 * Where the bundle goes: under the node_modules nearest to the entry (node_modules/.cache), so that
 * the npm packages left outside resolve as they do for the source (apps/server has packages of its
 * own there). One directory per test process: two processes bundling at once never rewrite each
 * other's file.
 */
function outRootFor(entry: string): string {
  let directory = dirname(entry);
  while (!existsSync(join(directory, 'node_modules')) && dirname(directory) !== directory) {
    directory = dirname(directory);
  }
  const cache = join(directory, 'node_modules', '.cache');
  const root = join(cache, `switchyard-test-bundles-${process.pid}`);
  if (!outRoots.has(root)) {
    outRoots.add(root);
    removeOrphans(cache);
  }
  return root;
}

/** Bundles of test processes that are gone (a worker ended without its exit hook running). */
function removeOrphans(cache: string): void {
  let names: string[];
  try {
    names = readdirSync(cache);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^switchyard-test-bundles-(\d+)$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(cache, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function bundle(entry: string): Promise<Bundle> {
  const startedAt = Date.now();
  const outDir = join(outRootFor(entry), createHash('sha256').update(entry).digest('hex').slice(0, 16));
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${basename(entry).replace(/\.[mc]?tsx?$/, '')}.mjs`);
  const result = await build({
    entryPoints: [entry],
    metafile: true,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    sourcemap: 'inline',
    plugins: [externalPackages, sourceImportMeta],
  });
  const inputs = Object.keys(result.metafile.inputs).map((input) => resolve(input));
  return { outfile, inputs, startedAt };
}

function stale(built: Bundle): boolean {
  return built.inputs.some((input) => {
    try {
      return statSync(input).mtimeMs >= built.startedAt;
    } catch {
      return true;
    }
  });
}

/**
 * The path of `entry` (a TypeScript file) bundled into one ES module, built on the first call in
 * this process and reused after (built again when one of its sources changed since). Run it with `node <path>`; inside, `import.meta.url` of every
 * module is its source file's, so an entry that checks whether it is the main module cannot compare
 * `process.argv[1]` (the bundle) with its own path: its spawner tells it (worker-process.ts).
 */
export async function bundledEntry(entry: string): Promise<string> {
  let built = bundles.get(entry);
  if (built && stale(await built)) {
    if (bundles.get(entry) === built) bundles.delete(entry);
    built = bundles.get(entry);
  }
  if (!built) {
    built = bundle(entry);
    bundles.set(entry, built);
    built.catch(() => bundles.delete(entry));
  }
  return (await built).outfile;
}
