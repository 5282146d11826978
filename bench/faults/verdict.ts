/** The battery's pure logic: argument parsing, counting, slopes and the PASS/FAIL lines. */

export const scenarioNames = [
  'rate-limit',
  'jobs-sigkill',
  'image-quota',
  'redis-restart',
  'postgres-restart',
  'sigterm',
  'upstream-faults',
  'embedded-kill',
  'soak',
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface FaultOptions {
  only: ScenarioName[];
  quick: boolean;
  soakMinutes: number;
  jobs: number;
  keep: boolean;
  record: boolean;
}

/** `--only a,b` (or repeated), `--skip a`, `--quick`, `--soak-minutes N`, `--jobs N`, `--keep`, `--no-record`. */
export function parseFaultArgs(argv: readonly string[]): FaultOptions {
  let only: ScenarioName[] = [...scenarioNames];
  const chosen: ScenarioName[] = [];
  const skipped = new Set<ScenarioName>();
  let quick = false;
  let soakMinutes: number | null = null;
  let jobs: number | null = null;
  let keep = false;
  let record = true;
  const names = (value: string | undefined, flag: string): ScenarioName[] => {
    if (!value) throw new Error(`${flag} needs a scenario name (${scenarioNames.join(', ')})`);
    return value.split(',').map((name) => {
      if (!(scenarioNames as readonly string[]).includes(name)) {
        throw new Error(`unknown scenario '${name}'; known: ${scenarioNames.join(', ')}`);
      }
      return name as ScenarioName;
    });
  };
  const positive = (value: string | undefined, flag: string): number => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) throw new Error(`${flag} needs a positive number`);
    return number;
  };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    const [flag, inline] = argument.includes('=')
      ? (argument.split('=', 2) as [string, string])
      : [argument, undefined];
    const value = () => inline ?? argv[++index];
    switch (flag) {
      case '--only':
        chosen.push(...names(value(), '--only'));
        break;
      case '--skip':
        for (const name of names(value(), '--skip')) skipped.add(name);
        break;
      case '--quick':
        quick = true;
        break;
      case '--soak-minutes':
        soakMinutes = positive(value(), '--soak-minutes');
        break;
      case '--jobs':
        jobs = Math.round(positive(value(), '--jobs'));
        break;
      case '--keep':
        keep = true;
        break;
      case '--no-record':
        record = false;
        break;
      default:
        throw new Error(`unknown argument '${argument}'`);
    }
  }
  if (chosen.length > 0) only = scenarioNames.filter((name) => chosen.includes(name));
  only = only.filter((name) => !skipped.has(name));
  return {
    only,
    quick,
    soakMinutes: soakMinutes ?? (quick ? 1 : 10),
    jobs: jobs ?? (quick ? 1000 : 10_000),
    keep,
    record,
  };
}

export type Figure = string | number | boolean;

export interface ScenarioResult {
  name: ScenarioName;
  pass: boolean;
  /** What was measured, in the order printed. */
  figures: Record<string, Figure>;
  /** Each failed check, in words. */
  failures: string[];
  notes: string[];
  seconds: number;
}

/** Collects checks: each one that does not hold makes the scenario fail, with its reason. */
export class Checks {
  readonly failures: string[] = [];
  readonly figures: Record<string, Figure> = {};
  readonly notes: string[] = [];

  figure(name: string, value: Figure): void {
    this.figures[name] = value;
  }

  check(holds: boolean, failure: string): void {
    if (!holds) this.failures.push(failure);
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

export function formatFigure(value: Figure): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(2);
  }
  return String(value);
}

/** `PASS rate-limit  windows=8 max_200_per_window=100 ...` */
export function verdictLine(result: ScenarioResult): string {
  const figures = Object.entries(result.figures)
    .map(([name, value]) => `${name}=${formatFigure(value)}`)
    .join(' ');
  const why = result.failures.length > 0 ? `  ✗ ${result.failures.join('; ')}` : '';
  return `${result.pass ? 'PASS' : 'FAIL'} ${result.name.padEnd(16)} ${figures} (${result.seconds.toFixed(0)} s)${why}`;
}

export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : (100 * part) / whole;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / n;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const point of points) {
    numerator += (point.x - meanX) * (point.y - meanY);
    denominator += (point.x - meanX) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Bytes sampled at seconds → MB per hour, from the least-squares slope. */
export function megabytesPerHour(samples: readonly { seconds: number; bytes: number }[]): number {
  return (slope(samples.map((sample) => ({ x: sample.seconds, y: sample.bytes }))) * 3600) / (1024 * 1024);
}

/**
 * The 200s each rate-limit window let through. A window is named by the bucket and the moment it ends
 * (`x-ratelimit-reset` seconds after the response, rounded to the second), so answers from every process
 * that counted in the same Redis window land together.
 */
export function admittedPerWindow(
  answers: readonly { bucket: string; status: number; receivedAt: number; resetSeconds: number | null }[],
  windowSeconds = 60,
): Map<string, number> {
  const windows = new Map<string, number>();
  const endOf = new Map<string, number[]>();
  for (const answer of answers) {
    if (answer.status !== 200 || answer.resetSeconds === null) continue;
    const end = Math.round(answer.receivedAt / 1000) + answer.resetSeconds;
    // Response latency and rounding put one window's estimated end a few seconds apart; windows of one
    // bucket are a whole window length apart, so ends within a third of it are the same window.
    const known = endOf.get(answer.bucket) ?? [];
    const match = known.find((value) => Math.abs(value - end) <= windowSeconds / 3) ?? end;
    if (!known.includes(match)) known.push(match);
    endOf.set(answer.bucket, known);
    const name = `${answer.bucket}@${match}`;
    windows.set(name, (windows.get(name) ?? 0) + 1);
  }
  return windows;
}

/** How answers to one phase of a fault split: successes, clear errors (status + SY_ERR code), anything else. */
export interface OutcomeCounts {
  total: number;
  ok: number;
  clear: Record<string, number>;
  unclear: Record<string, number>;
}

export function countOutcomes(
  outcomes: readonly { status: number; failure: string | null; code: string }[],
  isOk: (status: number) => boolean = (status) => status >= 200 && status < 300,
): OutcomeCounts {
  const counts: OutcomeCounts = { total: outcomes.length, ok: 0, clear: {}, unclear: {} };
  for (const outcome of outcomes) {
    if (outcome.failure === null && isOk(outcome.status)) {
      counts.ok += 1;
      continue;
    }
    const clear = outcome.failure === null && outcome.status >= 400 && outcome.code !== '';
    const label = outcome.failure ?? `${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
    const bag = clear ? counts.clear : counts.unclear;
    bag[label] = (bag[label] ?? 0) + 1;
  }
  return counts;
}

export function describeCounts(bag: Record<string, number>): string {
  const entries = Object.entries(bag);
  return entries.length === 0 ? 'none' : entries.map(([label, count]) => `${count}× ${label}`).join(', ');
}
