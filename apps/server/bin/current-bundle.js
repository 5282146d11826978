// Plain JavaScript on purpose: it decides whether to load tsx at all, so it must not need it.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The bundle's entry file when apps/server/dist holds a bundle built from exactly the sources on
 * disk (every input's mtime, to the second, and size as recorded at build time), otherwise null.
 * Paths in the manifest are relative to the repository root. Costs a stat per input (a few ms).
 */
export function currentBundle(directory = serverDir) {
  const distDir = join(directory, 'dist');
  const repoRoot = resolve(directory, '../..');
  try {
    const manifest = JSON.parse(readFileSync(join(distDir, 'manifest.json'), 'utf8'));
    const entries = Object.entries(manifest.inputs ?? {});
    if (entries.length === 0) return null;
    for (const [path, [mtimeMs, size]] of entries) {
      const info = statSync(join(repoRoot, path));
      // Whole seconds: image builders (docker COPY) and some file systems truncate mtimes.
      if (Math.floor(info.mtimeMs / 1000) !== Math.floor(mtimeMs / 1000) || info.size !== size) return null;
    }
    return join(distDir, 'cli.js');
  } catch {
    return null;
  }
}
