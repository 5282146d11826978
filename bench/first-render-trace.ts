/**
 * Reads a Chrome trace of one chat page load (bench/first-render-ab.ts --trace <dir> writes one per load)
 * and prints, in ms after navigation start, what the page's main thread did until the first render
 * (the `first-render` user-timing mark the A/B's page sets): each task of 2 ms or more with what took
 * its time (script by file, compile, parse, style, layout, paint), the idle time between, and when
 * each request was sent and finished. `tsx bench/first-render-trace.ts <trace.json> [--from ms] [--all]`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown>; [key: string]: unknown };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string', default: '0' },
    to: { type: 'string' },
    all: { type: 'boolean', default: false },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: first-render-trace.ts <trace.json> [--from ms]');
const parsed = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;

const mark = events.find((event) => event.name === 'first-render' && event.cat.includes('blink.user_timing'));
if (!mark) throw new Error('no first-render mark in the trace');
const pid = mark.pid;
const mainThread = events.find(
  (event) =>
    event.ph === 'M' && event.name === 'thread_name' && event.pid === pid && event.args?.name === 'CrRendererMain',
)?.tid;
// The page's navigationStart, or (a navigation that changed renderer) the last one before the mark.
const starts = events
  .filter((event) => event.name === 'navigationStart' && event.ts <= mark.ts)
  .sort((a, b) => b.ts - a.ts);
const navigation = starts.find((event) => event.pid === pid) ?? starts[0];
if (!navigation) throw new Error('no navigationStart');
const zero = navigation.ts;
const ms = (ts: number) => (ts - zero) / 1000;
const end = ms(mark.ts);
const from = Number(values.from);
console.log(`first render at ${end.toFixed(0)} ms (renderer pid ${pid}, main thread ${mainThread})`);

// Requests: sent, response, finished.
const requests = new Map<string, { url: string; sent: number; response?: number; finish?: number }>();
for (const event of events) {
  const data = event.args?.data as Record<string, unknown> | undefined;
  if (!data) continue;
  const id = data.requestId as string | undefined;
  if (!id) continue;
  if (event.name === 'ResourceSendRequest') requests.set(id, { url: String(data.url), sent: ms(event.ts) });
  const request = requests.get(id);
  if (!request) continue;
  if (event.name === 'ResourceReceiveResponse') request.response = ms(event.ts);
  if (event.name === 'ResourceFinish') request.finish = ms(event.ts);
}
console.log('\nrequests (sent → response → finished on the main thread):');
for (const request of [...requests.values()].sort((a, b) => a.sent - b.sent)) {
  if (request.sent > end + (values.all ? 1_000 : 0)) continue;
  const url = request.url
    .replace(/^https?:\/\/[^/]+/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[a-z]+_[0-9a-f]{32}/g, ':id');
  console.log(
    `  ${request.sent.toFixed(0).padStart(5)} → ${(request.response?.toFixed(0) ?? '-').padStart(5)} → ${(request.finish?.toFixed(0) ?? '-').padStart(5)}  ${url.slice(0, 90)}`,
  );
}

// The main thread's tasks, each with its time by kind of work (self time of nested events).
const main = events
  .filter((event) => event.pid === pid && event.tid === mainThread && event.ph === 'X' && event.dur !== undefined)
  .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
const tasks = main.filter((event) => event.name === 'RunTask' || event.name === 'ThreadControllerImpl::RunTask');
const interesting = new Set([
  'EvaluateScript',
  'v8.evaluateModule',
  'v8.compile',
  'v8.compileModule',
  'V8.CompileCode',
  'v8.produceModuleCache',
  'FunctionCall',
  'TimerFire',
  'FireAnimationFrame',
  'RunMicrotasks',
  'V8.GC_SCAVENGER',
  'MinorGC',
  'MajorGC',
  'V8.GCScavenger',
  'ParseHTML',
  'ParseAuthorStyleSheet',
  'UpdateLayoutTree',
  'Layout',
  'PrePaint',
  'Paint',
  'Layerize',
  'Commit',
  'HitTest',
  'EventDispatch',
  'XHRReadyStateChange',
  'ResourceReceivedData',
  'v8.run',
  'V8.ParseFunction',
  'v8.parseOnBackground',
  'V8.DeserializeContext',
]);
function label(event: TraceEvent): string {
  const data = event.args?.data as Record<string, unknown> | undefined;
  const url = (data?.url as string | undefined) ?? (event.args?.fileName as string | undefined);
  const short = url ? url.replace(/^.*\//, '').replace(/-[A-Za-z0-9_-]{8}\.js/, '') : '';
  if (event.name === 'FunctionCall') return `script ${short || (data?.functionName as string) || '?'}`;
  if (event.name === 'EvaluateScript' || event.name === 'v8.evaluateModule') return `evaluate ${short}`;
  if (event.name.toLowerCase().includes('compile') || (event.name.includes('Parse') && event.name.startsWith('V8')))
    return `compile ${short}`;
  if (event.name.includes('GC')) return 'gc';
  return event.name;
}
const byTask: { task: TraceEvent; self: Map<string, number> }[] = [];
for (const task of tasks) {
  const taskEnd = task.ts + (task.dur ?? 0);
  if (ms(taskEnd) < from || ms(task.ts) > end + (values.all ? 1_000 : 0)) continue;
  const inside = main.filter(
    (event) =>
      event !== task && event.ts >= task.ts && event.ts + (event.dur ?? 0) <= taskEnd && interesting.has(event.name),
  );
  // Self time: each event's duration less that of the interesting events directly inside it.
  const self = new Map<string, number>();
  const stack: { event: TraceEvent; key: string; end: number }[] = [];
  let rootSelf = task.dur ?? 0;
  for (const event of inside) {
    while (stack.length && (stack.at(-1)?.end ?? 0) <= event.ts) stack.pop();
    const key = label(event);
    const parent = stack.at(-1);
    const dur = event.dur ?? 0;
    if (parent) self.set(parent.key, (self.get(parent.key) ?? 0) - dur);
    else rootSelf -= dur;
    self.set(key, (self.get(key) ?? 0) + dur);
    stack.push({ event, key, end: event.ts + dur });
  }
  self.set('(other)', rootSelf);
  byTask.push({ task, self });
}

console.log('\nmain-thread tasks ≥ 2 ms (start, duration, where the time went):');
let busy = 0;
let lastEnd = from;
let idle = 0;
const totals = new Map<string, number>();
for (const { task, self } of byTask) {
  const start = ms(task.ts);
  const dur = (task.dur ?? 0) / 1000;
  const clippedStart = Math.max(start, from);
  const clippedEnd = Math.min(start + dur, end);
  if (clippedEnd > clippedStart && start <= end) {
    busy += clippedEnd - clippedStart;
    if (clippedStart > lastEnd) idle += clippedStart - lastEnd;
    lastEnd = Math.max(lastEnd, clippedEnd);
    for (const [key, value] of self) totals.set(key, (totals.get(key) ?? 0) + value / 1000);
  }
  if (dur < 2) continue;
  const parts = [...self]
    .filter(([, value]) => value >= 1_000)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([key, value]) => `${key} ${(value / 1000).toFixed(0)}`)
    .join(', ');
  console.log(`  ${start.toFixed(0).padStart(5)} +${dur.toFixed(0).padStart(4)}  ${parts}`);
}
if (end > lastEnd) idle += end - lastEnd;
console.log(
  `\nfrom ${from} to the first render (${end.toFixed(0)} ms): busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms`,
);
console.log('busy by kind (self time, ms):');
for (const [key, value] of [...totals].sort((a, b) => b[1] - a[1]).filter(([, value]) => value >= 1)) {
  console.log(`  ${value.toFixed(0).padStart(5)}  ${key}`);
}

// The V8 CPU profile in the trace (category disabled-by-default-v8.cpu_profiler): self time by function
// between --from and the first render, and by the outermost frame of each stack that is the app's code.
interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
const nodes = new Map<number, ProfileNode>();
const samples: { ts: number; node: number }[] = [];
let profileTime = 0;
for (const event of events) {
  if (event.pid !== pid) continue;
  const data = event.args?.data as Record<string, unknown> | undefined;
  if (event.name === 'Profile' && data?.startTime !== undefined) profileTime = Number(data.startTime);
  if (event.name !== 'ProfileChunk' || !data) continue;
  const chunk = data.cpuProfile as { nodes?: ProfileNode[]; samples?: number[] } | undefined;
  for (const node of chunk?.nodes ?? []) nodes.set(node.id, node);
  const deltas = (data.timeDeltas as number[] | undefined) ?? [];
  (chunk?.samples ?? []).forEach((node, at) => {
    profileTime += deltas[at] ?? 0;
    samples.push({ ts: profileTime, node });
  });
}
if (samples.length) {
  const frameName = (node: ProfileNode) => {
    const frame = node.callFrame;
    const url = (frame.url ?? '').replace(/^.*\//, '').replace(/-[A-Za-z0-9_-]{8}\.js/, '');
    return `${frame.functionName || '(anonymous)'} ${url}:${(frame.lineNumber ?? -1) + 1}`;
  };
  const selfTime = new Map<string, number>();
  const stackOf = (id: number) => {
    const stack: ProfileNode[] = [];
    for (let node = nodes.get(id); node; node = node.parent !== undefined ? nodes.get(node.parent) : undefined)
      stack.push(node);
    return stack;
  };
  // Parents: profile nodes name their children, not their parent.
  for (const node of nodes.values())
    for (const child of (node as unknown as { children?: number[] }).children ?? []) {
      const known = nodes.get(child);
      if (known) known.parent = node.id;
    }
  for (const node of nodes.values()) {
    const parent = (node as unknown as { parent?: number }).parent;
    if (parent !== undefined) node.parent = parent;
  }
  const inclusive = new Map<string, number>();
  for (let at = 0; at < samples.length; at++) {
    const sample = samples[at];
    const next = samples[at + 1];
    if (!sample || !next) continue;
    const t = ms(sample.ts);
    if (t < from || t > (values.to ? Number(values.to) : end)) continue;
    const dt = (next.ts - sample.ts) / 1000;
    const node = nodes.get(sample.node);
    if (!node) continue;
    const name = frameName(node);
    if (name.startsWith('(idle)')) continue;
    selfTime.set(name, (selfTime.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (const frame of stackOf(sample.node)) {
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const top = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, value]) => `  ${value.toFixed(1).padStart(7)}  ${key}`)
      .join('\n');
  console.log(`\nCPU profile from ${from} to the first render, self time (ms):\n${top(selfTime, 40)}`);
  console.log(`\ninclusive time (ms):\n${top(inclusive, 70)}`);
}
