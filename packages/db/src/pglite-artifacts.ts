import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

// PGlite's WebAssembly module, read and compiled ahead of `PGlite.create`: an embedded start begins here
// (`preloadPglite`, before it loads the server's modules) so V8 compiles the 9 MB WebAssembly
// module on its background threads while the main thread loads and evaluates the rest. Without a
// preload, `PGlite.create` reads and compiles it itself, after its own import, on the critical path.
// Nothing here imports PGlite or any other package: the CLI loads this module at once.

/**
 * V8 compiles a WebAssembly function with its baseline compiler (Liftoff) on first call and again
 * with its optimizing one (TurboFan, on background threads) once the function has run "enough": by
 * default after ~1.8 MB of its code executed. PostgreSQL's start in PGlite runs enough of its 9 MB
 * module to send many functions to TurboFan during the start. Measured (bench/cold-start-ab.ts,
 * embedded start to the first /ready 200, two bundles alternating, load ~23 on 2 cores): other
 * threads than the main one 2.0–2.5 s of CPU per start with the default budget, 1.15–1.3 s with this
 * 100× budget; the main thread ~2–2.5 s either way. Functions that stay hot still reach TurboFan,
 * after 100× the execution: in a PGlite micro-benchmark (600 small INSERT/SELECT queries per round)
 * the first rounds after a start cost ~10–20 % more CPU, then the two converge. Set once, before the
 * module compiles (a tiering budget is read when an instance is created and when a budget runs out).
 */
export const pgliteWasmTieringBudget = 180_000_000;
/**
 * How many background tasks compile WebAssembly at once (V8's default: up to 128, one per worker
 * thread). Each TurboFan compile of a PostgreSQL function allocates its working memory with malloc on
 * the worker thread that runs it; freed, that memory stays in the thread's glibc arena, so every
 * worker thread that compiled during the start kept its own few MB to tens of MB. One task at a time
 * keeps that in one arena: embedded idle RSS measured 244 → 217 MB (thread arenas 60 → 33 MB,
 * medians, bench/embedded-memory.ts), and the functions still reach TurboFan (one after the other,
 * off the main thread). Set with the tiering budget, before the module compiles.
 */
export const pgliteWasmCompilationTasks = 1;
let wasmTieringSet = false;

export function setPgliteWasmTiering(): void {
  if (wasmTieringSet) return;
  wasmTieringSet = true;
  setFlagsFromString(`--wasm-tiering-budget=${pgliteWasmTieringBudget}`);
  setFlagsFromString(`--wasm-num-compilation-tasks=${pgliteWasmCompilationTasks}`);
}

/** PGlite's dist directory, found from its entry point (the package exports no other path). */
function pgliteDistDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
}

/** The compiled module is shared by every PGlite instance of the process (the dev database's too). */
let wasmModule: Promise<WebAssembly.Module | null> | undefined;

/**
 * Reads PGlite's WebAssembly module and starts compiling it; returns at once. A failure here is not
 * reported: `PGlite.create` then reads the file itself and reports what is wrong with it.
 */
export function preloadPglite(): void {
  setPgliteWasmTiering();
  if (wasmModule) return;
  // Read at once (a few ms from the page cache): fs.promises.readFile reads 512 KB per event-loop
  // turn, and the main thread, busy loading modules, gave it those turns only ~2 s into a start.
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    // A file's bytes are never shared memory.
    bytes = readFileSync(join(pgliteDistDir(), 'pglite.wasm')) as Uint8Array<ArrayBuffer>;
  } catch {
    wasmModule = Promise.resolve(null);
    return;
  }
  wasmModule = WebAssembly.compile(bytes).catch(() => null);
}

export interface PgliteArtifacts {
  pgliteWasmModule?: WebAssembly.Module;
}

/**
 * What a preload has ready for `PGlite.create` (its `pgliteWasmModule` option): nothing without a
 * preload. (Its file system bundle, ~6 MB, PGlite reads itself while it instantiates the module:
 * read ahead, it was kept in memory longer for no measurable gain.)
 */
export async function takePgliteArtifacts(): Promise<PgliteArtifacts> {
  const module = wasmModule ? await wasmModule : null;
  return module ? { pgliteWasmModule: module } : {};
}
