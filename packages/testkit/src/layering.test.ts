import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layout rules of docs/architecture.md, checked against the imports in the tree so that a
 * shortcut (a query in a route, a framework type in a service, a capability reaching into the
 * composition root) fails the build instead of waiting for a review.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const serverSource = join(root, 'apps/server/src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
}

const violations = (files: string[], forbidden: (specifier: string, file: string) => boolean) =>
  files.flatMap((file) =>
    importsOf(file)
      .filter((specifier) => forbidden(specifier, file))
      .map((specifier) => `${relative(root, file)} imports ${specifier}`),
  );

const infrastructureLibraries = /^(fastify|@fastify\/|ioredis|pg$|bullmq|pino|drizzle-orm|@electric-sql\/)/;

describe('layering', () => {
  it('keeps framework, database and Redis clients out of core, routing and providers', () => {
    const files = ['core', 'routing', 'providers'].flatMap((name) => sourceFiles(join(root, 'packages', name, 'src')));
    expect(files.length).toBeGreaterThan(20);
    expect(violations(files, (specifier) => infrastructureLibraries.test(specifier))).toEqual([]);
  });

  it('keeps @switchyard/api-schemas to TypeBox alone, so the web app and every package can use it', () => {
    const files = sourceFiles(join(root, 'packages/api-schemas/src'));
    expect(files.length).toBeGreaterThan(3);
    expect(violations(files, (specifier) => specifier !== 'typebox' && !specifier.startsWith('./'))).toEqual([]);
  });

  it('keeps every database query in packages/db: no Drizzle in the server', () => {
    expect(violations(sourceFiles(serverSource), (specifier) => specifier.startsWith('drizzle-orm'))).toEqual([]);
  });

  it('lets only the composition root, the CLI and test helpers see the composition root', () => {
    const outside = sourceFiles(serverSource).filter((file) => !/\/src\/(composition|cli|testing)\//.test(file));
    expect(violations(outside, (specifier) => /\/(composition|cli)\//.test(specifier))).toEqual([]);
  });

  it('keeps Fastify types in the edge, the composition root and HTTP files (*-routes.ts, *-http.ts)', () => {
    const services = sourceFiles(serverSource).filter(
      (file) => !/\/src\/(edge|composition|cli|testing)\//.test(file) && !/-(routes|http)\.ts$/.test(file),
    );
    expect(services.length).toBeGreaterThan(20);
    expect(violations(services, (specifier) => /^(fastify|@fastify\/)/.test(specifier))).toEqual([]);
  });

  it('keeps the edge and the infrastructure free of capability routes', () => {
    const lower = sourceFiles(serverSource).filter((file) => /\/src\/(edge|infrastructure)\//.test(file));
    expect(violations(lower, (specifier) => /-routes$/.test(specifier))).toEqual([]);
    const infrastructure = lower.filter((file) => file.includes('/infrastructure/'));
    expect(violations(infrastructure, (specifier) => specifier.startsWith('..'))).toEqual([]);
  });
});
