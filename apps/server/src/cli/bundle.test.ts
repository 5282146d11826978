import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentBundle } from '../../bin/current-bundle.js';
import { runCli } from '../testing/cli-process';

describe('the bin picks the bundle only when it matches the sources', () => {
  let root: string;
  let serverDir: string;
  const source = () => join(root, 'apps/server/src/cli/cli.ts');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-bundle-'));
    serverDir = join(root, 'apps/server');
    await mkdir(join(serverDir, 'src/cli'), { recursive: true });
    await mkdir(join(serverDir, 'dist'), { recursive: true });
    await writeFile(source(), 'export {};\n');
    const info = await stat(source());
    await writeFile(
      join(serverDir, 'dist/manifest.json'),
      JSON.stringify({ inputs: { 'apps/server/src/cli/cli.ts': [info.mtimeMs, info.size] } }),
    );
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('runs the bundle while every input has its recorded mtime and size', async () => {
    expect(currentBundle(serverDir)).toBe(join(serverDir, 'dist/cli.js'));
    // A copy that truncated the mtime to whole seconds (docker COPY) still counts as the same file.
    const info = await stat(source());
    const truncated = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
    await utimes(source(), truncated, truncated);
    expect(currentBundle(serverDir)).toBe(join(serverDir, 'dist/cli.js'));
  });

  it('falls back to the source when a file was edited, touched, removed, or there is no manifest', async () => {
    await writeFile(source(), 'export const edited = 1;\n');
    expect(currentBundle(serverDir)).toBeNull();

    await writeFile(source(), 'export {};\n');
    const later = new Date(Date.now() + 5_000);
    await utimes(source(), later, later);
    expect(currentBundle(serverDir)).toBeNull();

    await rm(source());
    expect(currentBundle(serverDir)).toBeNull();

    await rm(join(serverDir, 'dist/manifest.json'));
    expect(currentBundle(serverDir)).toBeNull();
  });

  it('runs the TypeScript source through tsx when told to (SWITCHYARD_FROM_SOURCE=1)', async () => {
    const result = await runCli(['--version'], { cwd: root, variables: { SWITCHYARD_FROM_SOURCE: '1' } });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
