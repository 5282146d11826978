import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { startTestServer } from '../apps/server/src/testing/test-server';

// Static checks of everything under deploy/: the files parse, and every name they use
// (environment variables, CLI commands, metric names) is one the server really has.

const deployDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(deployDir);
const composeDir = join(deployDir, 'compose');
const chartDir = join(deployDir, 'helm', 'switchyard');
const templatesDir = join(chartDir, 'templates');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function readYaml(path: string): JsonObject {
  return object(parseYaml(read(path), { merge: true }), relative(root, path));
}

/** Environment variables the server reads, found in its source rather than listed here. */
function serverVariables(): Set<string> {
  const sources = [
    join(root, 'packages', 'core', 'src', 'config.ts'),
    join(root, 'packages', 'core', 'src', 'observability-config.ts'),
    ...walk(join(root, 'apps', 'server', 'src')).filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts')),
  ];
  const names = new Set<string>();
  for (const source of sources) {
    for (const match of read(source).matchAll(/\b(?:variables|process\.env)\.([A-Z][A-Z0-9_]*)\b/g)) {
      names.add(match[1] as string);
    }
  }
  return names;
}

/** `${NAME}` / `${NAME:-default}` references in a Switchyard config file: the config reads these too. */
function configReferences(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)].map((match) => match[1] as string));
}

/** The commands the CLI has: each has its own help text (`commandHelp` in cli.ts). */
function cliCommands(): Set<string> {
  const source = read(join(root, 'apps', 'server', 'src', 'cli', 'cli.ts'));
  const help = source.slice(source.indexOf('const commandHelp'), source.indexOf('const usage = `'));
  return new Set([...help.matchAll(/^ {2}([a-z-]+): `Usage/gm)].map((match) => match[1] as string));
}

/**
 * Metric names a started server really exports: its /metrics, scraped once (every metric has a
 * `# TYPE` line even before it has a sample; histograms expose _bucket, _sum and _count, summaries
 * _sum and _count).
 */
let exportedNames: Promise<Set<string>> | undefined;
function scrapedMetricNames(): Promise<Set<string>> {
  exportedNames ??= (async () => {
    const server = await startTestServer();
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const names = new Set<string>();
      for (const match of text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
        const [, name, type] = match as unknown as [string, string, string];
        names.add(name);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
        if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
      }
      return names;
    } finally {
      await server.destroy();
    }
  })();
  return exportedNames;
}

/** Metrics Prometheus makes itself (not scraped from Switchyard). */
const prometheusOwnMetrics = new Set(['up']);

const promqlWords = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'le',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
function promqlMetricNames(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((match) => match[1] as string)
    .filter((word) => !promqlWords.has(word.toLowerCase()) && !/^\d/.test(word));
}

const known = serverVariables();
const composeConfigText = read(join(composeDir, 'switchyard.config.yaml'));
const values = readYaml(join(chartDir, 'values.yaml'));
const chartConfigText = JSON.stringify(values.config);
const knownWithConfig = new Set([
  ...known,
  ...configReferences(composeConfigText),
  ...configReferences(chartConfigText),
]);

describe('the known sets are found in the source', () => {
  it('finds the server variables, CLI commands and metrics', () => {
    for (const name of ['DATABASE_URL', 'DEV_DATABASE_URL', 'REDIS_URL', 'AUTH_SECRET', 'METRICS_TOKEN', 'S3_BUCKET']) {
      expect(known).toContain(name);
    }
    expect([...cliCommands()]).toEqual(expect.arrayContaining(['start', 'api', 'worker', 'migrate', 'keys', 'admin']));
  });

  it('scrapes the metric names from a started server', async () => {
    const names = await scrapedMetricNames();
    for (const name of [
      'switchyard_http_requests_total',
      'switchyard_process_cpu_seconds_total',
      'switchyard_process_resident_memory_bytes',
      'switchyard_build_info',
      'switchyard_queue_depth',
    ]) {
      expect(names).toContain(name);
    }
    expect([...names].filter((name) => name.startsWith('switchyard_process_process_'))).toEqual([]);
  }, 60_000);

  it('reads metric names out of PromQL', () => {
    expect(
      promqlMetricNames(
        'sum by (provider) (rate(switchyard_a_total{code="x"}[5m])) / on (provider) max(up{job="s"}) > 0.5',
      ),
    ).toEqual(['switchyard_a_total', 'up']);
  });
});

describe('every YAML and JSON file under deploy/ parses', () => {
  const files = walk(deployDir).filter((path) => !path.startsWith(templatesDir));
  const yamlFiles = files.filter((path) => /\.ya?ml$/.test(path));
  const jsonFiles = files.filter((path) => path.endsWith('.json'));

  it.each(yamlFiles.map((path) => [relative(deployDir, path), path]))('%s', (_name, path) => {
    for (const document of parseAllDocuments(read(path), { merge: true })) {
      expect(document.errors.map((error) => error.message)).toEqual([]);
    }
  });

  it.each(jsonFiles.map((path) => [relative(deployDir, path), path]))('%s', (_name, path) => {
    expect(() => JSON.parse(read(path))).not.toThrow();
  });

  it('Helm templates balance {{ and }}', () => {
    for (const path of walk(templatesDir)) {
      const text = read(path);
      expect(text.split('{{').length, relative(deployDir, path)).toBe(text.split('}}').length);
      let depth = 0;
      for (const token of text.matchAll(/\{\{|\}\}/g)) {
        depth += token[0] === '{{' ? 1 : -1;
        expect(depth, `${relative(deployDir, path)} at offset ${token.index}`).toBeGreaterThanOrEqual(0);
        expect(depth).toBeLessThanOrEqual(1);
      }
    }
  });

  it('Helm control blocks open and close in pairs', () => {
    for (const path of walk(templatesDir)) {
      const actions = [...read(path).matchAll(/\{\{-?\s*(if|range|with|define|end)\b/g)].map((match) => match[1]);
      const opened = actions.filter((action) => action !== 'end').length;
      expect(actions.filter((action) => action === 'end').length, relative(deployDir, path)).toBe(opened);
    }
  });
});

describe('docker compose', () => {
  const composeFiles = ['docker-compose.yml', 'docker-compose.server.yml'];
  const allComposeFiles = [...composeFiles, 'monitoring.yml'];
  const commands = cliCommands();

  it.each(composeFiles)('%s: Switchyard services use known variables and CLI commands', (file) => {
    const services = object(readYaml(join(composeDir, file)).services, `${file} services`);
    let switchyardServices = 0;
    for (const [name, raw] of Object.entries(services)) {
      const service = object(raw, name);
      if (!String(service.image ?? '').includes('switchyard')) continue;
      switchyardServices += 1;
      const command = service.command;
      expect(Array.isArray(command), `${name}: command is a list`).toBe(true);
      expect(commands, `${name}: '${(command as Json[])[0]}' is a switchyard command`).toContain(
        (command as Json[])[0],
      );
      const environment = object(service.environment, `${name} environment`);
      for (const variable of Object.keys(environment)) {
        expect(knownWithConfig, `${file} ${name}: ${variable} is read by the server or its config`).toContain(variable);
      }
    }
    expect(switchyardServices).toBeGreaterThan(0);
  });

  it('server mode runs migrate, api and worker, with the two databases, Redis and MinIO', () => {
    const services = object(readYaml(join(composeDir, 'docker-compose.server.yml')).services, 'services');
    const commandOf = (name: string) => (object(services[name], name).command as Json[]).join(' ');
    expect(commandOf('switchyard-migrate')).toBe('migrate');
    expect(commandOf('api')).toMatch(/^api --workers /);
    expect(commandOf('worker')).toBe('worker');
    for (const name of ['postgres-prod', 'postgres-dev', 'redis', 'minio', 'minio-init', 'caddy']) {
      expect(Object.keys(services)).toContain(name);
    }
    expect(object(services['minio-init'], 'minio-init').image).toMatch(/^minio\/mc/);
    const environment = object(object(services.api, 'api').environment, 'api environment');
    expect(String(environment.DATABASE_URL)).toContain('@postgres-prod:');
    expect(String(environment.DEV_DATABASE_URL)).toContain('@postgres-dev:');
  });

  it.each(['docker-compose.server.yml', 'monitoring.yml'])(
    '%s: images are pinned and there is no top-level name (docker-compose v1)',
    (file) => {
      const compose = readYaml(join(composeDir, file));
      expect(compose.name, `${file}: top-level name`).toBeUndefined();
      for (const [name, raw] of Object.entries(object(compose.services, 'services'))) {
        const image = String(object(raw, name).image ?? '').replace(/\$\{[A-Z_]+:-([^}]+)\}/, '$1');
        if (image === '') continue;
        expect(image, `${file} ${name}`).toMatch(/:[^:/]+$/);
        expect(image, `${file} ${name}`).not.toMatch(/:(latest|\d+)$/);
      }
    },
  );

  it('the monitoring stack has Prometheus with the alert rules, Alertmanager, Grafana, Loki and Promtail', () => {
    const services = object(readYaml(join(composeDir, 'monitoring.yml')).services, 'services');
    for (const name of ['prometheus', 'alertmanager', 'grafana', 'loki', 'promtail', 'cadvisor']) {
      expect(Object.keys(services)).toContain(name);
    }
    const prometheusVolumes = (object(services.prometheus, 'prometheus').volumes as string[]).join('\n');
    expect(prometheusVolumes).toContain('../prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
    const prometheus = readYaml(join(deployDir, 'prometheus', 'prometheus.yml'));
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(JSON.stringify(prometheus.alerting)).toContain('alertmanager:9093');
    // The server stack no longer carries its own Prometheus and Grafana.
    const server = object(readYaml(join(composeDir, 'docker-compose.server.yml')).services, 'services');
    expect(Object.keys(server)).not.toContain('prometheus');
    expect(Object.keys(server)).not.toContain('grafana');
  });

  it('the Alertmanager entrypoint writes webhook and email receivers, secrets only into files', (context) => {
    if (spawnSync('sh', ['-c', 'true']).status !== 0) {
      context.skip('no POSIX shell; skipped the Alertmanager entrypoint');
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-alertmanager-'));
    try {
      const script = join(deployDir, 'monitoring', 'alertmanager-entrypoint.sh');
      const render = (environment: Record<string, string>) => {
        const result = spawnSync('sh', [script, '--render-only'], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ALERTMANAGER_CONFIG_DIR: directory, ...environment },
        });
        expect(result.status, result.stderr).toBe(0);
        return {
          text: read(join(directory, 'alertmanager.yml')),
          config: readYaml(join(directory, 'alertmanager.yml')),
        };
      };
      const none = render({}).config;
      expect(object(none.route, 'route').receiver).toBe('none');
      const { text, config } = render({
        ALERT_WEBHOOK_URL: 'https://hooks.example.com/alert?token=hook-secret',
        ALERT_EMAIL_TO: "o'ps@example.com",
        ALERT_EMAIL_FROM: 'alerts@example.com',
        ALERT_SMTP_SMARTHOST: 'smtp.example.com:587',
        ALERT_SMTP_USERNAME: 'mailer',
        ALERT_SMTP_PASSWORD: 'smtp-secret',
      });
      expect(text).not.toContain('hook-secret');
      expect(text).not.toContain('smtp-secret');
      expect(read(join(directory, 'webhook-url'))).toBe('https://hooks.example.com/alert?token=hook-secret');
      expect(read(join(directory, 'smtp-password'))).toBe('smtp-secret');
      const route = object(config.route, 'route');
      expect(route.receiver).toBe('webhook');
      // Critical alerts reach email and still the webhook.
      expect(route.routes).toEqual([
        { receiver: 'email', matchers: ['severity="critical"'], continue: true },
        { receiver: 'webhook' },
      ]);
      const receivers = config.receivers as JsonObject[];
      const email = object(
        (
          object(
            receivers.find((receiver) => receiver.name === 'email'),
            'email receiver',
          ).email_configs as Json[]
        )[0],
        'email',
      );
      expect(email).toMatchObject({
        to: "o'ps@example.com",
        smarthost: 'smtp.example.com:587',
        auth_username: 'mailer',
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.each(composeFiles)('%s: depends_on conditions fit their targets', (file) => {
    const services = object(readYaml(join(composeDir, file)).services, 'services');
    for (const [name, raw] of Object.entries(services)) {
      const dependsOn = object(raw, name).depends_on;
      if (dependsOn === undefined) continue;
      for (const [target, rawCondition] of Object.entries(object(dependsOn, `${name} depends_on`))) {
        const condition = object(rawCondition, `${name} -> ${target}`).condition;
        const targetService = object(services[target], `${name} depends on unknown service ${target}`);
        if (condition === 'service_healthy') {
          const healthcheck = object(targetService.healthcheck, `${target} healthcheck (needed by ${name})`);
          expect(healthcheck.disable, `${target} healthcheck`).not.toBe(true);
        } else {
          expect(condition).toBe('service_completed_successfully');
          expect(targetService.restart, `${target} is one-shot`).toBe('no');
        }
      }
    }
  });

  it('.env.example names only variables the server or the compose files use, and all of them', () => {
    const example = read(join(composeDir, '.env.example'));
    const exampleNames = new Set(
      [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string),
    );
    const composeText = allComposeFiles.map((file) => read(join(composeDir, file))).join('\n');
    const interpolated = new Set(
      [...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::?[-?][^}]*)?\}/g)].map((match) => match[1] as string),
    );
    for (const name of exampleNames) {
      expect(
        known.has(name) || interpolated.has(name),
        `${name} in .env.example is neither read by the server nor used by compose`,
      ).toBe(true);
    }
    for (const name of interpolated) expect(exampleNames, `${name} used by compose`).toContain(name);
    for (const name of [
      'AUTH_SECRET',
      'PUBLIC_URL',
      'DATABASE_URL',
      'DEV_DATABASE_URL',
      'REDIS_URL',
      'METRICS_TOKEN',
    ]) {
      expect(exampleNames).toContain(name);
    }
    for (const name of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_ENDPOINT', 'S3_REGION']) {
      expect(exampleNames).toContain(name);
    }
  });

  it('`docker compose config` accepts both files', (context) => {
    const modern = spawnSync('docker', ['compose', 'version']).status === 0;
    const legacy = !modern && spawnSync('docker-compose', ['version']).status === 0;
    if (!modern && !legacy) {
      context.skip('neither `docker compose` nor `docker-compose` is installed; skipped compose validation');
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-compose-'));
    try {
      // Every variable set to a placeholder, so `${X:?}` checks pass; ports and counts need numbers.
      const envFile = join(directory, '.env');
      const example = read(join(composeDir, '.env.example'));
      const names = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);
      const placeholder = (name: string) => (/(_PORT|_REPLICAS)$/.test(name) ? '8080' : 'placeholder-value');
      writeFileSync(envFile, names.map((name) => `${name}=${placeholder(name)}`).join('\n'));
      // Each file alone, and the server stack with monitoring as they are run together.
      for (const files of [...allComposeFiles.map((file) => [file]), ['docker-compose.server.yml', 'monitoring.yml']]) {
        let paths = files.map((file) => join(composeDir, file));
        if (legacy) {
          // docker-compose 1.x predates the top-level `name` key (docker-compose.yml still has one).
          paths = files.map((file) => {
            const path = join(directory, file);
            writeFileSync(path, read(join(composeDir, file)).replace(/^name: .*$/m, ''));
            return path;
          });
        }
        const [command, ...args] = modern ? ['docker', 'compose'] : ['docker-compose'];
        const result = spawnSync(
          command as string,
          [
            ...args,
            '--project-directory',
            composeDir,
            '--env-file',
            envFile,
            ...paths.flatMap((path) => ['-f', path]),
            'config',
            '-q',
          ],
          { encoding: 'utf8' },
        );
        expect(result.status, `${files.join(' + ')}: ${result.stderr}`).toBe(0);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    // docker-compose 1.x is a Python program started once per file: ~15 s in all on a quiet machine, 60+ s at load 30.
  }, 120_000);
});

describe('the shipped Switchyard config files load', () => {
  // No provider keys at all, as with a fresh .env: the defaults in the files must carry the start.
  const variables = {};

  it('deploy/compose/switchyard.config.yaml', () => {
    const config = loadConfig({ ...variables, SWITCHYARD_CONFIG: join(composeDir, 'switchyard.config.yaml') }, root);
    expect(config.providers.length).toBeGreaterThan(0);
  });

  it('the Helm chart default config (values.config)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-chart-'));
    try {
      const path = join(directory, 'switchyard.config.yaml');
      writeFileSync(path, chartConfigText);
      expect(loadConfig({ ...variables, SWITCHYARD_CONFIG: path }, root).configPath).toBe(path);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('Helm chart', () => {
  const templates = walk(templatesDir).map((path) => ({ path, text: read(path) }));

  it('sets only environment variables the server reads (env, Secret keys, providerKeys)', () => {
    const names = new Set<string>();
    for (const { text } of templates) {
      for (const match of text.matchAll(/^\s*- name: ([A-Z][A-Z0-9_]*)\s*$/gm)) names.add(match[1] as string);
    }
    const secret = read(join(templatesDir, 'secret.yaml'));
    const stringData = secret.slice(secret.indexOf('stringData:'));
    for (const match of stringData.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)) names.add(match[1] as string);
    for (const name of Object.keys(object(values.providerKeys ?? {}, 'providerKeys'))) names.add(name);
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(knownWithConfig, `${name} set by the chart`).toContain(name);
    for (const name of ['DATABASE_URL', 'DEV_DATABASE_URL', 'REDIS_URL', 'AUTH_SECRET', 'METRICS_TOKEN']) {
      expect(names).toContain(name);
    }
  });

  it('renders numbers from values.yaml as integers (Helm reads them as floats: 1048576 would become 1.048576e+06)', () => {
    for (const { path, text } of templates) {
      for (const match of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)\s*\|\s*quote/g)) {
        const value = (match[1] as string)
          .split('.')
          .reduce<Json | undefined>((node, key) => (isObject(node) ? node[key] : undefined), values);
        expect(typeof value, `${relative(deployDir, path)}: .Values.${match[1]} | quote needs | int`).not.toBe(
          'number',
        );
      }
    }
  });

  it('runs valid CLI commands', () => {
    const commands = cliCommands();
    const used = templates.flatMap(({ text }) =>
      [...text.matchAll(/^\s*args: \["([a-z-]+)"/gm)].map((match) => match[1] as string),
    );
    expect(used.sort()).toEqual(['api', 'migrate', 'worker']);
    for (const command of used) expect(commands).toContain(command);
  });

  it('probes /ready and /health, and waits longer than SHUTDOWN_TIMEOUT_MS on termination', () => {
    const api = read(join(templatesDir, 'api-deployment.yaml'));
    expect(api).toMatch(/readinessProbe:\s*\n\s*httpGet: \{ path: \/ready/);
    expect(api).toMatch(/livenessProbe:\s*\n\s*httpGet: \{ path: \/health/);
    const apiValues = object(values.api, 'api');
    const graceMs = Number(apiValues.terminationGracePeriodSeconds) * 1000;
    const neededMs = Number(values.shutdownTimeoutMs) + Number(apiValues.preStopSleepSeconds) * 1000;
    expect(graceMs).toBeGreaterThan(neededMs);
  });

  it('runs migrations as a pre-install/pre-upgrade hook, after the Secret it reads', () => {
    const job = read(join(templatesDir, 'migrate-job.yaml'));
    expect(job).toContain('helm.sh/hook: pre-install,pre-upgrade');
    const weight = (text: string) => Number(/helm\.sh\/hook-weight: "(-?\d+)"/.exec(text)?.[1]);
    expect(weight(read(join(templatesDir, 'secret.yaml')))).toBeLessThan(weight(job));
  });

  it('the ingress annotations turn off buffering for server-sent events', () => {
    const annotations = object(object(values.ingress, 'ingress').annotations, 'ingress annotations');
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
  });

  it('Chart.yaml names the chart and its versions', () => {
    const chart = readYaml(join(chartDir, 'Chart.yaml'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'switchyard' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('monitoring', () => {
  it('the Grafana dashboard queries only metrics the server exports', async () => {
    const dashboard = JSON.parse(read(join(deployDir, 'grafana', 'dashboards', 'switchyard.json'))) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      templating: { list: Array<{ definition?: string }> };
    };
    const names = await scrapedMetricNames();
    const prometheusPanels = dashboard.panels.filter(
      (panel) => (panel as { datasource?: { type?: string } }).datasource?.type !== 'loki',
    );
    const expressions = [
      ...prometheusPanels.flatMap((panel) => panel.targets.map((target) => target.expr)),
      ...dashboard.templating.list
        .map((variable) => /^label_values\((\w+)/.exec(variable.definition ?? '')?.[1] ?? '')
        .filter(Boolean),
    ];
    const used = new Set(expressions.flatMap((expr) => promqlMetricNames(expr)));
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) {
      expect(names.has(name), `${name} is not exported by a started server's /metrics`).toBe(true);
    }
    for (const name of [
      'switchyard_http_requests_total',
      'switchyard_http_request_duration_seconds_bucket',
      'switchyard_tokens_total',
      'switchyard_rate_limit_rejections_total',
      'switchyard_cache_lookups_total',
      'switchyard_jobs',
      'switchyard_job_workers_alive',
      'switchyard_process_resident_memory_bytes',
      'switchyard_dependency_up',
      'switchyard_db_pool_connections',
      'switchyard_queue_depth',
    ]) {
      expect(used).toContain(name);
    }
    const logs = dashboard.panels.find((panel) => (panel as { type?: string }).type === 'logs');
    expect(logs?.targets[0]?.expr).toMatch(/^\{service=~"api\|worker"/);
  }, 60_000);

  it('the dashboard uses the provisioned datasource', () => {
    const datasources = readYaml(join(deployDir, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'));
    const provisioned = (datasources.datasources as JsonObject[]).map((source) => source.uid).sort();
    expect(provisioned).toEqual(['switchyard-loki', 'switchyard-prometheus']);
    const dashboard = read(join(deployDir, 'grafana', 'dashboards', 'switchyard.json'));
    const uids = new Set([...dashboard.matchAll(/"uid": "([^"]+)"/g)].map((match) => match[1]));
    uids.delete('switchyard');
    expect([...uids].sort()).toEqual(provisioned);
  });

  it('Prometheus scrapes /metrics with the METRICS_TOKEN bearer that compose writes', () => {
    const prometheus = readYaml(join(deployDir, 'prometheus', 'prometheus.yml'));
    const job = (prometheus.scrape_configs as JsonObject[]).find((config) => config.job_name === 'switchyard');
    expect(job?.metrics_path).toBe('/metrics');
    const authorization = object(job?.authorization, 'authorization');
    expect(authorization.type).toBe('Bearer');
    const compose = read(join(composeDir, 'monitoring.yml'));
    expect(compose).toContain(`"$$METRICS_TOKEN" > ${authorization.credentials_file}`);
  });
});

describe('alert rules', () => {
  const alertsPath = join(deployDir, 'prometheus', 'alerts.yml');
  const rules = (readYaml(alertsPath).groups as JsonObject[]).flatMap((group) => group.rules as JsonObject[]);
  const promtool = spawnSync('promtool', ['--version']).status === 0;

  it('cover what operators page on', () => {
    const names = rules.map((rule) => rule.alert);
    for (const name of [
      'SwitchyardApiDown',
      'SwitchyardHighErrorRate',
      'SwitchyardHighLatencyP99',
      'SwitchyardUpstreamProviderFailing',
      'SwitchyardQueueBacklog',
      'SwitchyardDeadLetters',
      'SwitchyardWorkersMissing',
      'SwitchyardDatabaseUnreachable',
      'SwitchyardRedisUnreachable',
      'SwitchyardDiskSpaceLow',
      'SwitchyardQuotaExhausted',
      'SwitchyardUpstreamKeysRateLimited',
    ]) {
      expect(names).toContain(name);
    }
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], String(rule.alert)).toContain(object(rule.labels, 'labels').severity);
      expect(object(rule.annotations, 'annotations').summary, String(rule.alert)).toBeTruthy();
    }
  });

  it('every expression reads only metrics a started server exports (or Prometheus` own up)', async () => {
    const names = await scrapedMetricNames();
    for (const rule of rules) {
      const used = promqlMetricNames(String(rule.expr));
      expect(used.length, String(rule.alert)).toBeGreaterThan(0);
      for (const name of used) {
        expect(names.has(name) || prometheusOwnMetrics.has(name), `${rule.alert}: ${name} is not exported`).toBe(true);
      }
    }
  }, 60_000);

  it('the Helm chart ships the same rules as a PrometheusRule', () => {
    expect(read(join(chartDir, 'files', 'alerts.yml'))).toBe(read(alertsPath));
    const template = read(join(templatesDir, 'prometheusrule.yaml'));
    expect(template).toContain('kind: PrometheusRule');
    expect(template).toContain('.Files.Get "files/alerts.yml" | indent 2');
    expect(object(values.prometheusRule, 'prometheusRule').enabled).toBe(false);
  });

  it('`promtool check rules` accepts them and `promtool test rules` passes', (context) => {
    if (!promtool) {
      context.skip('promtool is not installed (Debian package prometheus); skipped the rule checks and unit tests');
      return;
    }
    const check = spawnSync('promtool', ['check', 'rules', alertsPath], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const unit = spawnSync('promtool', ['test', 'rules', join(deployDir, 'prometheus', 'alerts.test.yml')], {
      encoding: 'utf8',
    });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    expect(unit.stdout).toContain('SUCCESS');
  });

  it('`promtool check config` accepts prometheus.yml', (context) => {
    if (!promtool) {
      context.skip('promtool is not installed (Debian package prometheus); skipped the config check');
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
    try {
      // The token file the compose entrypoint writes, here in a temporary directory.
      const token = join(directory, 'metrics-token');
      writeFileSync(token, 'placeholder');
      const config = read(join(deployDir, 'prometheus', 'prometheus.yml')).replace('/prometheus/metrics-token', token);
      writeFileSync(join(directory, 'prometheus.yml'), config);
      writeFileSync(join(directory, 'alerts.yml'), read(alertsPath));
      const result = spawnSync('promtool', ['check', 'config', join(directory, 'prometheus.yml')], {
        encoding: 'utf8',
      });
      expect(result.status, result.stdout + result.stderr).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('Caddy', () => {
  const caddyfile = read(join(deployDir, 'caddy', 'Caddyfile'));

  it('does not buffer or compress server-sent events', () => {
    const proxy = caddyfile.slice(caddyfile.indexOf('reverse_proxy'));
    expect(proxy).toMatch(/^\s*flush_interval -1\s*$/m);
    expect(caddyfile).not.toMatch(/text\/\*/);
    expect(caddyfile).not.toMatch(/header Content-Type text\/event-stream/);
  });

  it('`caddy adapt` accepts the Caddyfile', (context) => {
    if (spawnSync('caddy', ['version']).status !== 0) {
      context.skip('caddy is not installed; skipped Caddyfile validation');
      return;
    }
    const output = execFileSync('caddy', ['adapt', '--config', join(deployDir, 'caddy', 'Caddyfile')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(output).toContain('"flush_interval":-1');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read(join(root, 'Dockerfile'));

  it('keeps every workspace package.json in the build context before npm ci', () => {
    const rootPackage = JSON.parse(read(join(root, 'package.json'))) as { workspaces: string[] };
    const workspaces = rootPackage.workspaces.flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(join(root, pattern.slice(0, -2)))
            .map((name) => `${pattern.slice(0, -2)}/${name}`)
            .filter((path) => statSync(join(root, path)).isDirectory())
        : [pattern],
    );
    const ignored = read(join(root, '.dockerignore'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const workspace of workspaces) {
      const excluded = ignored.some((line) => workspace === line || workspace.startsWith(`${line}/`));
      if (excluded) expect(ignored, `.dockerignore drops ${workspace}`).toContain(`!${workspace}/package.json`);
    }
    const install = dockerfile.indexOf('npm ci --omit=dev');
    expect(install).toBeGreaterThan(0);
    expect(dockerfile.slice(0, install)).toContain('COPY . .');
  });

  it('installs pg_dump and pg_restore of the PostgreSQL major the deployment files run in the runtime stage', () => {
    const runtime = dockerfile.slice(dockerfile.search(/^FROM \S+ AS runtime$/m));
    expect(runtime.length).toBeLessThan(dockerfile.length);
    const major = /^ARG POSTGRES_CLIENT_MAJOR=(\d+)$/m.exec(runtime)?.[1];
    expect(major).toBeDefined();
    expect(runtime).toContain(
      'apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_CLIENT_MAJOR}"',
    );
    // Debian bookworm ships 15 only: the client comes from the PostgreSQL project's repository.
    expect(runtime).toMatch(/apt\.postgresql\.org\/pub\/repos\/apt bookworm-pgdg main/);
    expect(runtime).toMatch(/pg_dump --version \| grep -q/);
    expect(runtime).toMatch(/pg_restore --version \| grep -q/);
    expect(runtime.indexOf('postgresql-client')).toBeLessThan(runtime.indexOf('\nUSER '));
    // Every PostgreSQL image the compose files and stacks run is of that major (pg_dump refuses a newer server).
    const images = walk(deployDir)
      .filter((path) => /\.ya?ml$/.test(path))
      .flatMap((path) => [...read(path).matchAll(/image:\s*["']?postgres:(\d+)[.\d]*-?\S*/g)].map((match) => match[1]));
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([major]));
  });

  it('runs the CLI as a non-root user with a health check', () => {
    expect(dockerfile).toContain('ENTRYPOINT ["node", "apps/server/bin/switchyard.js"]');
    expect(dockerfile).toContain('CMD ["start"]');
    expect(dockerfile).toMatch(/^USER (?!root)\S+/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK[\s\S]*\/health/m);
    expect(dockerfile).toContain('EXPOSE 8080');
  });
});

describe('the example remote app (examples/shop-app)', () => {
  it('runs in both compose files and is the `shop` app of the shipped config, signing with SHOP_APP_SECRET', () => {
    for (const file of ['docker-compose.yml', 'docker-compose.server.yml']) {
      const services = object(readYaml(join(composeDir, file)).services, `${file} services`);
      const shop = object(services['shop-app'], `${file} shop-app`);
      const build = object(shop.build, `${file} shop-app build`);
      expect(statSync(join(composeDir, String(build.context), String(build.dockerfile))).isFile()).toBe(true);
      expect(object(shop.environment, 'shop-app environment').SHOP_APP_SECRET).toBe('${SHOP_APP_SECRET:-}');
    }
    const config = loadConfig(
      { SHOP_APP_SECRET: 'a-shop-secret-0123456789', SWITCHYARD_CONFIG: join(composeDir, 'switchyard.config.yaml') },
      root,
    );
    expect(config.apps).toEqual([
      expect.objectContaining({
        id: 'shop',
        type: 'http',
        baseURL: 'http://shop-app:8080',
        secret: 'a-shop-secret-0123456789',
      }),
    ]);
  });
});
