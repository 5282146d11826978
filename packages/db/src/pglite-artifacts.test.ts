import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './client';
import { preloadPglite, takePgliteArtifacts } from './pglite-artifacts';

describe('preloading PGlite', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchyard-preload-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('compiles the module on first use when nothing preloaded it, once', async () => {
    // This file's first test: nothing in this module's process state has preloaded yet. Every open
    // gets the module compiled here (for Liftoff only), never one PGlite compiles itself.
    const first = await takePgliteArtifacts();
    expect(first.pgliteWasmModule).toBeInstanceOf(WebAssembly.Module);
    expect((await takePgliteArtifacts()).pgliteWasmModule).toBe(first.pgliteWasmModule);
  });

  it('compiles the WebAssembly module once, and every open of the process gets it', async () => {
    preloadPglite();
    preloadPglite();
    const first = await takePgliteArtifacts();
    expect(first.pgliteWasmModule).toBeInstanceOf(WebAssembly.Module);
    expect((await takePgliteArtifacts()).pgliteWasmModule).toBe(first.pgliteWasmModule);

    // Two databases on disk (the template cache's copy, as embedded mode's prod and dev) open on the
    // preloaded module and answer queries.
    const [prod, dev] = await Promise.all([
      openDatabase({ kind: 'pglite', dataDir: join(directory, 'prod') }),
      openDatabase({ kind: 'pglite', dataDir: join(directory, 'dev') }),
    ]);
    try {
      expect((await prod.db.execute(sql`SELECT 1 AS one`)).rows).toEqual([{ one: 1 }]);
      expect((await dev.db.execute(sql`SELECT 2 AS two`)).rows).toEqual([{ two: 2 }]);
    } finally {
      await Promise.all([prod.close(), dev.close()]);
    }
  });
});
