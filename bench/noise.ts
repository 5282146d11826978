import { readdirSync, readFileSync } from 'node:fs';
import { processTree, sleep } from './processes';

/**
 * The bench shares the machine with whatever else runs (test suites, editors,
 * other benchmarks). It measures how much CPU processes outside its own tree
 * used during each measurement, so a noisy number can be recognised as such,
 * and waits a little for quiet before each one.
 */
const ticksPerSecond = 100;

function busyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user + nice + system: irq/softirq are left out, since loopback traffic of the bench itself lands there.
  return (fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0);
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime (+ reaped children's time for our own root, which collects exited workers). */
function processTicks(pid: number, withChildren: boolean): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  const own = Number(fields[11]) + Number(fields[12]);
  return withChildren ? own + Number(fields[13]) + Number(fields[14]) : own;
}

function ourTicks(): number {
  let total = processTicks(process.pid, true);
  for (const pid of processTree(process.pid).slice(1)) total += processTicks(pid, true);
  return total;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
  } catch {
    return `pid ${pid}`;
  }
}

function foreignByPid(): Map<number, number> {
  const ours = new Set(processTree(process.pid));
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (ours.has(pid)) continue;
    ticks.set(pid, processTicks(pid, false));
  }
  return ticks;
}

export interface Noise {
  /** CPU used by other processes during the window, in cores (1.0 = one core fully busy). */
  foreignCores: number;
  seconds: number;
  /** The busiest other processes still alive at the end. */
  busiest: Array<{ command: string; cores: number }>;
}

export interface NoiseMeter {
  stop(): Noise;
}

export function startNoiseMeter(): NoiseMeter {
  const started = performance.now();
  const busy = busyTicks();
  const ours = ourTicks();
  const perPid = foreignByPid();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const foreignTicks = Math.max(0, busyTicks() - busy - (ourTicks() - ours));
      const busiest: Array<{ command: string; cores: number }> = [];
      for (const [pid, ticks] of foreignByPid()) {
        const delta = ticks - (perPid.get(pid) ?? 0);
        if (delta > 0) busiest.push({ command: commandOf(pid), cores: delta / ticksPerSecond / seconds });
      }
      busiest.sort((a, b) => b.cores - a.cores);
      return {
        foreignCores: Math.round((foreignTicks / ticksPerSecond / seconds) * 100) / 100,
        seconds: Math.round(seconds * 10) / 10,
        busiest: busiest.slice(0, 3).map((entry) => ({ ...entry, cores: Math.round(entry.cores * 100) / 100 })),
      };
    },
  };
}

/** Waits until other processes use less than `threshold` cores over one second, or `maxWaitMs` passes. */
export async function waitForQuiet(maxWaitMs: number, threshold = 0.25): Promise<{ waitedMs: number; noise: Noise }> {
  const started = performance.now();
  for (;;) {
    const meter = startNoiseMeter();
    await sleep(1000);
    const noise = meter.stop();
    const waitedMs = performance.now() - started;
    if (noise.foreignCores < threshold || waitedMs >= maxWaitMs) return { waitedMs, noise };
  }
}
