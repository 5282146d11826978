import { readFileSync } from 'node:fs';

/**
 * Where a Linux process's RSS is, from /proc/<pid>/smaps, in MB. The kinds are told apart by mapping
 * (a heuristic, good enough to compare processes side by side):
 *   - wasm: anonymous read-write mappings of 100 MB or more: a WebAssembly memory (PGlite's 128 MB
 *     initial memory, of which only the pages PostgreSQL touched count);
 *   - arenas: glibc's per-thread malloc arenas (anonymous, 64 MB-aligned, at most 64 MB): what V8's
 *     background threads (compilers, GC) and libuv's pool allocate and free, and glibc keeps;
 *   - brk: the main thread's malloc heap (`[heap]`);
 *   - v8: the other anonymous memory: the V8 heap's pages, large array buffers, code;
 *   - node: the node binary's own pages (file-backed, shared between Node.js processes);
 *   - other: other file-backed mappings and stacks.
 */
export interface MemoryBreakdown {
  totalMb: number;
  wasmMb: number;
  arenasMb: number;
  brkMb: number;
  v8Mb: number;
  nodeMb: number;
  otherMb: number;
}

const megabytes = 2 ** 20;
const arenaAlignment = 64 * megabytes;

/** Null where /proc/<pid>/smaps cannot be read (not Linux, or the process is gone). */
export function memoryBreakdown(pid: number): MemoryBreakdown | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const kb = { wasm: 0, arenas: 0, brk: 0, v8: 0, node: 0, other: 0 };
  let current: keyof typeof kb = 'other';
  for (const line of text.split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const start = Number.parseInt(mapping[1] as string, 16);
      const size = Number.parseInt(mapping[2] as string, 16) - start;
      const permissions = mapping[3] as string;
      const path = mapping[4] as string;
      if (path === '[heap]') current = 'brk';
      else if (path.endsWith('/node')) current = 'node';
      else if (path !== '') current = 'other';
      else if (size >= 100 * megabytes && permissions.startsWith('rw')) current = 'wasm';
      else if (start % arenaAlignment === 0 && size <= arenaAlignment && !permissions.includes('x')) current = 'arenas';
      else current = 'v8';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[current] += Number(rss[1]);
  }
  const mb = (value: number) => Math.round((value / 1024) * 10) / 10;
  const total = Object.values(kb).reduce((sum, value) => sum + value, 0);
  return {
    totalMb: mb(total),
    wasmMb: mb(kb.wasm),
    arenasMb: mb(kb.arenas),
    brkMb: mb(kb.brk),
    v8Mb: mb(kb.v8),
    nodeMb: mb(kb.node),
    otherMb: mb(kb.other),
  };
}
