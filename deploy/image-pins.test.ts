import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

// Every image the compose files and the Helm chart run is pinned to a tag (never `:latest`, never
// none), and one image has one tag everywhere: a second tag needs an allow-list comment with a reason
// on the image line or the line above it, e.g.
//   image: postgres:17.6-bookworm # image-tag-allow: the migration test restores into the next major
// docs/deployment.md ("Image versions") says where each tag was confirmed.

const deployDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(deployDir);
const chartDir = join(deployDir, 'helm', 'switchyard');

/** A deployment file: its path (relative to the repository root) and its text. */
type Source = { path: string; text: string };

/** One place an image is used. */
type ImageUse = {
  /** Where: file and service (or values key). */
  where: string;
  /** The reference as written, with `${VAR:-default}` replaced by its default. */
  reference: string;
  /** An allow-list comment on the line exempts this use from the one-tag-per-image rule. */
  allowed: boolean;
};

const allowMarker = /#\s*image-tag-allow:(.*)$/;

/** `postgres`, `docker.io/library/postgres` and `index.docker.io/library/postgres` are the same image. */
function normalizeName(name: string): string {
  return name.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

/** Splits `registry:5000/a/b:tag@sha256:…` into its name, tag and digest. */
function parseReference(reference: string): { name: string; tag?: string; digest?: string } {
  const at = reference.indexOf('@');
  const withoutDigest = at === -1 ? reference : reference.slice(0, at);
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const name = normalizeName(colon > slash ? withoutDigest.slice(0, colon) : withoutDigest);
  const tag = colon > slash ? withoutDigest.slice(colon + 1) : undefined;
  return { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/**
 * Replaces `${VAR:-default}` and `${VAR-default}` by the default, which is what runs when the variable is
 * unset. A variable without a default (`${VAR}`, `${VAR:?message}`, `$VAR`) leaves the image unpinned:
 * undefined.
 */
function resolveDefaults(value: string): string | undefined {
  let pinned = true;
  const resolved = value.replace(/\$\{([A-Za-z_]\w*)(:?[-?+])?([^}]*)\}|\$([A-Za-z_]\w*)/g, (...match) => {
    const operator = match[2] as string | undefined;
    if (operator === '-' || operator === ':-') return match[3] as string;
    pinned = false;
    return '';
  });
  return pinned ? resolved : undefined;
}

/** References carrying an allow-list comment (on their line or the comment line above), and comments without a reason. */
function allowList(source: Source): { allowed: Set<string>; problems: string[] } {
  const allowed = new Set<string>();
  const problems: string[] = [];
  const lines = source.text.split('\n');
  for (const [index, line] of lines.entries()) {
    const image = /^\s*(?:-\s*)?image:\s*["']?([^"'\s#]+)/.exec(line);
    if (!image) continue;
    const above = lines[index - 1] ?? '';
    const marker = allowMarker.exec(line) ?? (/^\s*#/.test(above) ? allowMarker.exec(above) : null);
    if (!marker) continue;
    if ((marker[1] ?? '').trim().length < 10) {
      problems.push(`${source.path}:${index + 1}: an image-tag-allow comment needs a reason`);
      continue;
    }
    allowed.add(image[1] as string);
  }
  return { allowed, problems };
}

/** The images a compose file's services run (anchors and merge keys resolved). Files without services are skipped. */
function composeUses(source: Source): { uses: ImageUse[]; problems: string[] } {
  const document = parseYaml(source.text, { merge: true }) as { services?: Record<string, { image?: unknown }> } | null;
  const services = document?.services;
  if (!services || typeof services !== 'object') return { uses: [], problems: [] };
  const { allowed, problems } = allowList(source);
  const uses: ImageUse[] = [];
  for (const [name, service] of Object.entries(services)) {
    // A service with only `build:` runs what it builds here: nothing to pull.
    if (typeof service?.image !== 'string') continue;
    const where = `${source.path} ${name}`;
    const reference = resolveDefaults(service.image);
    if (reference === undefined) {
      problems.push(`${where}: ${service.image} comes from a variable without a pinned default`);
      continue;
    }
    uses.push({ where, reference, allowed: allowed.has(service.image) });
  }
  return { uses, problems };
}

/**
 * The images a Helm chart's values name: every mapping with `repository` and `tag` (an empty tag is the
 * chart's appVersion, which is what the chart's image helper falls back to).
 */
function helmValuesUses(values: Source, appVersion: string): ImageUse[] {
  const uses: ImageUse[] = [];
  const visit = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, `${path}[${index}]`);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (typeof record.repository === 'string' && 'tag' in record) {
      const tag = record.tag === '' || record.tag === null ? appVersion : String(record.tag);
      uses.push({ where: `${values.path} ${path}`, reference: `${record.repository}:${tag}`, allowed: false });
    }
    for (const [key, value] of Object.entries(record)) visit(value, path ? `${path}.${key}` : key);
  };
  visit(parseYaml(values.text), '');
  return uses;
}

/** What is wrong with a set of image uses: unpinned tags, and one image with two tags (allow-listed uses aside). */
function imageProblems(uses: ImageUse[]): string[] {
  const problems: string[] = [];
  const tagsByImage = new Map<string, Map<string, string[]>>();
  for (const use of uses) {
    const { name, tag, digest } = parseReference(use.reference);
    if (tag === undefined && digest === undefined) {
      problems.push(`${use.where}: ${use.reference} has no tag (Docker pulls :latest)`);
      continue;
    }
    if (tag === 'latest') {
      problems.push(`${use.where}: ${use.reference} is :latest`);
      continue;
    }
    if (use.allowed) continue;
    const tags = tagsByImage.get(name) ?? new Map<string, string[]>();
    const key = tag ?? `@${digest}`;
    tags.set(key, [...(tags.get(key) ?? []), use.where]);
    tagsByImage.set(name, tags);
  }
  for (const [name, tags] of tagsByImage) {
    if (tags.size < 2) continue;
    const list = [...tags].map(([tag, where]) => `${tag} (${where.join(', ')})`).join('; ');
    problems.push(`${name} has ${tags.size} tags: ${list}`);
  }
  return problems;
}

// --- The repository's files -----------------------------------------------------------------------

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(directory, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function source(path: string): Source {
  return { path: relative(root, path), text: readFileSync(path, 'utf8') };
}

/** Every compose file: YAML under deploy/ (the Helm chart aside) and docker-compose*.yml / compose*.yml at the root. */
function composeSources(): Source[] {
  const underDeploy = walk(deployDir).filter((path) => /\.ya?ml$/.test(path) && !path.startsWith(chartDir));
  const atRoot = readdirSync(root)
    .filter((name) => /^(?:docker-)?compose.*\.ya?ml$/.test(name))
    .map((name) => join(root, name));
  return [...underDeploy, ...atRoot].map(source);
}

const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };
const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

function repositoryUses(): { uses: ImageUse[]; problems: string[] } {
  const uses: ImageUse[] = [];
  const problems: string[] = [];
  for (const file of composeSources()) {
    const found = composeUses(file);
    uses.push(...found.uses);
    problems.push(...found.problems);
  }
  uses.push(...helmValuesUses(source(join(chartDir, 'values.yaml')), chart.appVersion));
  return { uses, problems };
}

// --- Tests ----------------------------------------------------------------------------------------

describe('the image pin checks', () => {
  const file = (path: string, text: string): Source => ({ path, text });

  it('parses references with registries, ports, tags and digests', () => {
    expect(parseReference('postgres:16.15-bookworm')).toEqual({ name: 'postgres', tag: '16.15-bookworm' });
    expect(parseReference('docker.io/library/postgres:16')).toEqual({ name: 'postgres', tag: '16' });
    expect(parseReference('registry:5000/team/app')).toEqual({ name: 'registry:5000/team/app' });
    expect(parseReference('gcr.io/cadvisor/cadvisor:v0.49.1@sha256:abc')).toEqual({
      name: 'gcr.io/cadvisor/cadvisor',
      tag: 'v0.49.1',
      digest: 'sha256:abc',
    });
  });

  it('reads the default of ${VAR:-default} and refuses a variable without one', () => {
    expect(resolveDefaults('${SWITCHYARD_IMAGE:-switchyard:0.1.0}')).toBe('switchyard:0.1.0');
    expect(resolveDefaults('${IMAGE-redis:7.4-bookworm}')).toBe('redis:7.4-bookworm');
    expect(resolveDefaults('caddy:${CADDY_TAG:-2.10.2}')).toBe('caddy:2.10.2');
    expect(resolveDefaults('${SWITCHYARD_IMAGE}')).toBeUndefined();
    expect(resolveDefaults('${SWITCHYARD_IMAGE:?set it}')).toBeUndefined();
    expect(resolveDefaults('caddy:$CADDY_TAG')).toBeUndefined();
  });

  it('fails on :latest, on no tag and on a variable without a default', () => {
    const found = composeUses(
      file(
        'a.yml',
        [
          'services:',
          '  one: { image: "redis:latest" }',
          '  two: { image: redis }',
          '  three: { image: "${APP_IMAGE}" }',
          '  four: { image: "${APP_IMAGE:-app:latest}" }',
          '  five: { build: . }',
          '  six: { image: "redis@sha256:0123" }',
        ].join('\n'),
      ),
    );
    expect(found.problems).toEqual(['a.yml three: ${APP_IMAGE} comes from a variable without a pinned default']);
    expect(imageProblems(found.uses)).toEqual([
      'a.yml one: redis:latest is :latest',
      'a.yml two: redis has no tag (Docker pulls :latest)',
      'a.yml four: app:latest is :latest',
    ]);
  });

  it('fails on two tags of one image across files, however the name is spelled', () => {
    const uses = [
      ...composeUses(file('a.yml', 'services:\n  db:\n    image: postgres:16.15-bookworm\n')).uses,
      ...composeUses(file('b.yml', 'services:\n  db:\n    image: docker.io/library/postgres:16.9-bookworm\n')).uses,
      ...composeUses(file('c.yml', 'services:\n  cache:\n    image: redis:7.4-bookworm\n')).uses,
    ];
    expect(imageProblems(uses)).toEqual(['postgres has 2 tags: 16.15-bookworm (a.yml db); 16.9-bookworm (b.yml db)']);
  });

  it('resolves anchors and merge keys, as compose does', () => {
    const text = [
      'x-app: &app',
      '  image: app:1.0.0',
      'services:',
      '  api: { <<: *app }',
      '  worker:',
      '    <<: *app',
      '    image: app:1.0.1',
    ].join('\n');
    expect(imageProblems(composeUses(file('a.yml', text)).uses)).toEqual([
      'app has 2 tags: 1.0.0 (a.yml api); 1.0.1 (a.yml worker)',
    ]);
  });

  it('accepts a second tag with an allow-list comment that gives a reason, and only then', () => {
    const first = file('a.yml', 'services:\n  db:\n    image: postgres:16.15-bookworm\n');
    const sameLine = file(
      'b.yml',
      'services:\n  db:\n    image: postgres:17.6-bookworm # image-tag-allow: the upgrade test restores into 17\n',
    );
    const lineAbove = file(
      'c.yml',
      'services:\n  db:\n    # image-tag-allow: the upgrade test restores into 17\n    image: postgres:17.6-bookworm\n',
    );
    const noReason = file('d.yml', 'services:\n  db:\n    image: postgres:17.6-bookworm # image-tag-allow:\n');
    const uses = (sources: Source[]) => sources.flatMap((entry) => composeUses(entry).uses);

    expect(imageProblems(uses([first, sameLine]))).toEqual([]);
    expect(imageProblems(uses([first, lineAbove]))).toEqual([]);
    expect(composeUses(noReason).problems).toEqual(['d.yml:3: an image-tag-allow comment needs a reason']);
    expect(imageProblems(uses([first, noReason]))).toEqual([
      'postgres has 2 tags: 16.15-bookworm (a.yml db); 17.6-bookworm (d.yml db)',
    ]);
    // The exemption is for the commented use only: a third, uncommented tag still fails.
    const third = file('e.yml', 'services:\n  db:\n    image: postgres:16.9-bookworm\n');
    expect(imageProblems(uses([first, sameLine, third]))).toHaveLength(1);
  });

  it('reads Helm values: an empty tag is the chart appVersion, latest fails', () => {
    const values = file(
      'values.yaml',
      [
        'image: { repository: ghcr.io/acme/app, tag: "" }',
        'sidecar:',
        '  image: { repository: busybox, tag: latest }',
      ].join('\n'),
    );
    const uses = helmValuesUses(values, '1.2.3');
    expect(uses.map((use) => use.reference)).toEqual(['ghcr.io/acme/app:1.2.3', 'busybox:latest']);
    expect(imageProblems(uses)).toEqual(['values.yaml sidecar.image: busybox:latest is :latest']);
  });
});

describe('the deployment files pin their images', () => {
  const { uses, problems } = repositoryUses();

  it('finds the compose files and the Helm values', () => {
    const files = new Set(uses.map((use) => use.where.split(' ')[0]));
    for (const path of [
      'deploy/compose/docker-compose.yml',
      'deploy/compose/docker-compose.server.yml',
      'deploy/compose/monitoring.yml',
      'deploy/stacks/docker-compose.ai.yml',
      'deploy/stacks/docker-compose.apps.yml',
      'deploy/stacks/docker-compose.db.yml',
      'deploy/stacks/docker-compose.db-staging.yml',
      'deploy/stacks/docker-compose.ingress.yml',
      'deploy/helm/switchyard/values.yaml',
    ]) {
      expect(files, path).toContain(path);
    }
  });

  it('every image has a pinned tag and one image has one tag everywhere', () => {
    expect([...problems, ...imageProblems(uses)]).toEqual([]);
  });

  it('the Switchyard image is the chart appVersion and the package version everywhere', () => {
    expect(chart.appVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(packageVersion).toBe(chart.appVersion);
    const switchyard = uses.filter((use) => /(?:^|\/)switchyard$/.test(parseReference(use.reference).name));
    expect(switchyard.length).toBeGreaterThanOrEqual(4);
    for (const use of switchyard) {
      expect(parseReference(use.reference).tag, use.where).toBe(chart.appVersion);
    }
    // The chart's templates take the image from the helper, which falls back to the appVersion.
    const helpers = readFileSync(join(chartDir, 'templates', '_helpers.tpl'), 'utf8');
    expect(helpers).toContain('(default .Chart.AppVersion .Values.image.tag)');
    for (const path of walk(join(chartDir, 'templates'))) {
      for (const line of readFileSync(path, 'utf8')
        .split('\n')
        .filter((text) => /^\s*image:/.test(text))) {
        expect(line.trim(), relative(root, path)).toBe('image: {{ include "switchyard.image" . }}');
      }
    }
  });

  it('docs/deployment.md lists every pinned image with its tag', () => {
    const docs = readFileSync(join(root, 'docs', 'deployment.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Image versions'));
    expect(section.length).toBeLessThan(docs.length);
    for (const use of uses) {
      const { name, tag } = parseReference(use.reference);
      if (/(?:^|\/)switchyard$/.test(name)) continue;
      expect(section, `${name}:${tag}`).toContain(`\`${name}:${tag}\``);
    }
  });

  it('the compose .env example names the same Switchyard image', () => {
    const example = join(deployDir, 'compose', '.env.example');
    expect(existsSync(example)).toBe(true);
    const line = /^SWITCHYARD_IMAGE=(.+)$/m.exec(readFileSync(example, 'utf8'))?.[1];
    expect(line).toBe(`switchyard:${chart.appVersion}`);
  });
});
