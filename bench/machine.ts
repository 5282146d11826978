import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  /** Soft limit on open files per process; a gateway holding N streams needs about 2N descriptors. */
  openFilesLimit: number;
  postgres: string | null;
  redis: string | null;
  /** The Switchyard commit measured, and whether the working tree had uncommitted changes. */
  revision: string | null;
}

function openFilesLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\d+)/m.exec(limits);
  return match?.[1] ? Number(match[1]) : Number.POSITIVE_INFINITY;
}

function output(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

function revision(): string | null {
  const commit = output('git', ['rev-parse', '--short', 'HEAD'])?.trim();
  if (!commit) return null;
  const dirty = (
    output('git', ['status', '--porcelain', '--untracked-files=no', '--', '../apps', '../packages']) ?? ''
  ).trim();
  return dirty ? `${commit} + uncommitted changes` : commit;
}

export function describeMachine(): Machine {
  const processors = cpus();
  return {
    cores: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    openFilesLimit: openFilesLimit(),
    postgres: output('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-Atc', 'SHOW server_version'])?.trim() ?? null,
    revision: revision(),
    redis: /redis_version:(\S+)/.exec(output('redis-cli', ['-h', '127.0.0.1', 'INFO', 'server']) ?? '')?.[1] ?? null,
  };
}
