/** The Markdown record of one battery run: machine, load, one row per scenario. */
import { describeMachine } from '../machine';
import { type FaultOptions, formatFigure, type ScenarioResult } from './verdict';

export interface FaultRun {
  results: ScenarioResult[];
  options: FaultOptions;
  startedAt: Date;
  loadBefore: number[];
  loadSamples: number[];
  loadAfter: number[];
}

export function faultReport(run: FaultRun): string {
  const machine = describeMachine();
  const samples = run.loadSamples.length > 0 ? run.loadSamples : [run.loadBefore[0] ?? 0];
  const meanLoad = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  const lines = [
    `# Fault battery, ${run.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `\`npm run faults -w @switchyard/bench${run.options.quick ? ' -- --quick' : ''}\` — ${run.results.filter((result) => result.pass).length} of ${run.results.length} scenarios passed.`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres ?? '?'}, Redis ${machine.redis ?? '?'}, Switchyard ${machine.revision ?? '?'}.`,
    `Load average (1 min): ${run.loadBefore[0]?.toFixed(2)} at the start, mean ${meanLoad.toFixed(2)} and max ${Math.max(...samples).toFixed(2)} during the run (shared machine: other engineers' builds and tests ran at the same time), ${run.loadAfter[0]?.toFixed(2)} at the end.`,
    `Sizes: ${run.options.jobs} jobs; soak ${run.options.soakMinutes} min.`,
    '',
    '| scenario | verdict | figures | time |',
    '| --- | --- | --- | --- |',
    ...run.results.map(
      (result) =>
        `| ${result.name} | ${result.pass ? 'PASS' : `**FAIL**: ${result.failures.join('; ').replace(/\s+/g, ' ').replace(/\|/g, '/')}`} | ${Object.entries(
          result.figures,
        )
          .map(([name, value]) => `${name}=${formatFigure(value)}`)
          .join(', ')} | ${result.seconds.toFixed(0)} s |`,
    ),
    '',
  ];
  const notes = run.results.filter((result) => result.notes.length > 0);
  if (notes.length > 0) {
    lines.push('## Notes', '');
    for (const result of notes) for (const note of result.notes) lines.push(`- **${result.name}**: ${note}`);
    lines.push('');
  }
  return lines.join('\n');
}
