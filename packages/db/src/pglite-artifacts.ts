import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

// PGlite's WebAssembly module, read and compiled ahead of `PGlite.create`: an embedded start begins here
// (`preloadPglite`, before it loads the server's modules) so V8 compiles the 9 MB WebAssembly
// module on its background threads while the main thread loads and evaluates the rest. Without a
// preload, the first open reads and compiles it, on the critical path.
// Nothing here imports PGlite or any other package: the CLI loads this module at once.

/**
 * WebAssembly runs on V8's baseline code (Liftoff) only, never tiered up to TurboFan: set for PGlite.
 * By default V8 compiles a function with Liftoff on its first call and again with TurboFan, on its
 * worker threads, once it has run "enough"; PostgreSQL's start and the server's first queries sent
 * many functions to TurboFan. Each such compile allocates its working memory with malloc on the worker
 * thread, and glibc keeps what is freed in that thread's arena: 50–80 MB of RSS that stayed after the
 * start and grew with use. Liftoff only (bench/embedded-memory.ts and by hand, 2 cores, load 4–9):
 * `switchyard start` idle RSS 243.8 → 196.8 MB (thread arenas 58 → 11 MB); PGlite alone after ~10,000
 * queries 222–244 → 169–175 MB; those queries' CPU did not rise (they spend their time in the
 * protocol, copies and file calls more than in PostgreSQL's code: rounds after warm-up 656–1,209 vs
 * 738–1,144 ms); a start's CPU on other threads 1.00 → 0.38 s. (It replaces a 100× tiering budget,
 * which only delayed the tier-up.)
 *
 * `--liftoff-only` is one of V8's flags, which are the process's, and V8 decides tier-up while
 * functions run, not when a module is compiled: it holds for all WebAssembly in the process from here
 * on, undici's HTTP parser and tesseract.js (OCR, in a worker thread) included. Measured with it: the
 * gateway's CPU per response 758 → 565 µs at 10 connections (3 alternating rounds, load ~4), and OCR
 * of a small image 1.36–1.77 → 0.99–1.31 s of CPU (each OCR starts a new worker, whose compile
 * dominates; large images not measured).
 */
let baselineOnly = false;

function compileBaselineOnly(bytes: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module | null> {
  if (!baselineOnly) {
    baselineOnly = true;
    setFlagsFromString('--liftoff-only');
  }
  return WebAssembly.compile(bytes).catch(() => null);
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
  wasmModule = compileBaselineOnly(bytes);
}

export interface PgliteArtifacts {
  pgliteWasmModule?: WebAssembly.Module;
}

/**
 * The compiled module for `PGlite.create` (its `pgliteWasmModule` option): the preload's, else
 * compiled now, so every PGlite instance runs the Liftoff-only module; nothing when the file could not
 * be read or compiled (PGlite then reports what is wrong with it). (Its file system bundle, ~6 MB,
 * PGlite reads itself while it instantiates the module: read ahead, it was kept in memory longer for
 * no measurable gain.)
 */
export async function takePgliteArtifacts(): Promise<PgliteArtifacts> {
  preloadPglite();
  const module = wasmModule ? await wasmModule : null;
  return module ? { pgliteWasmModule: module } : {};
}
