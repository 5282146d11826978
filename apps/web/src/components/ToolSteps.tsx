import type { ToolStep } from '@switchyard/api-schemas';
import type { ToolCallEvent, ToolResultEvent } from '../lib/chat';
import { formatNumber, t } from '../lib/i18n';

/** A skill call behind an answer, as the chat shows it: live from the stream or stored with the answer. */
export interface ToolStepView {
  id: string;
  app: string;
  skill: string;
  input: unknown;
  output: string | null;
  status: 'running' | 'ok' | 'error';
  durationMs: number | null;
}

/** A step the stream just announced: running until its result arrives. */
export function stepOfCall(call: ToolCallEvent): ToolStepView {
  return {
    id: call.id,
    app: call.app,
    skill: call.skill,
    input: call.input,
    output: null,
    status: 'running',
    durationMs: null,
  };
}

/** The steps with the result filled into the (first still running) step of the same call. */
export function withResult(steps: readonly ToolStepView[], result: ToolResultEvent): ToolStepView[] {
  const index = steps.findIndex((step) => step.id === result.id && step.status === 'running');
  const done: ToolStepView = {
    id: result.id,
    app: result.app,
    skill: result.skill,
    input: steps[index]?.input ?? null,
    output: result.output,
    status: result.is_error ? 'error' : 'ok',
    durationMs: result.duration_ms,
  };
  if (index < 0) return [...steps, done];
  return steps.map((step, position) => (position === index ? done : step));
}

/** A stored step: one without output was cut short when the answer was stopped. */
export function stepOfStored(step: ToolStep): ToolStepView {
  return {
    id: step.id,
    app: step.app,
    skill: step.skill,
    input: step.input,
    output: step.output,
    status: step.output === null || step.isError ? 'error' : 'ok',
    durationMs: step.durationMs,
  };
}

function formatDuration(ms: number): string {
  return ms < 1000
    ? `${formatNumber(Math.round(ms))} ms`
    : `${formatNumber(ms / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} s`;
}

function formatInput(input: unknown): string {
  if (typeof input === 'string') return input;
  return JSON.stringify(input, null, 2) ?? '';
}

const statusClass = {
  running: 'bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100',
  ok: 'bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100',
  error: 'bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100',
} as const;

/** The skill calls of an answer, each collapsed to one line (app/skill, status, duration) that opens to its input and output. */
export function ToolSteps({ steps }: { steps: readonly ToolStepView[] }) {
  if (steps.length === 0) return null;
  return (
    <ol className="mb-2 space-y-1" aria-label={t('tools.toolSteps')}>
      {steps.map((step, index) => (
        <li
          // biome-ignore lint/suspicious/noArrayIndexKey: call ids come from the model and may repeat across turns; the list only grows
          key={`${step.id}-${index}`}
          className="rounded border border-slate-200 text-sm dark:border-slate-700"
          data-status={step.status}
        >
          <details>
            <summary className="flex cursor-pointer flex-wrap items-center gap-2 px-2 py-1">
              <span className="font-mono text-xs">
                {step.app} / {step.skill}
              </span>
              <span className={`rounded px-1 text-xs ${statusClass[step.status]}`}>
                {t(`tools.status.${step.status}`)}
              </span>
              {step.durationMs !== null && (
                <span className="text-xs text-slate-500">{formatDuration(step.durationMs)}</span>
              )}
            </summary>
            <div className="space-y-1 border-t border-slate-200 px-2 py-1 dark:border-slate-700">
              <div>
                <div className="text-xs font-semibold text-slate-500">{t('tools.input')}</div>
                <pre className="max-h-48 overflow-auto whitespace-pre-wrap break-words text-xs">
                  {formatInput(step.input)}
                </pre>
              </div>
              <div>
                <div className="text-xs font-semibold text-slate-500">{t('tools.output')}</div>
                <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-words text-xs">
                  {step.output ?? (step.status === 'running' ? t('tools.waitingForApp') : t('tools.noResult'))}
                </pre>
              </div>
            </div>
          </details>
        </li>
      ))}
    </ol>
  );
}
