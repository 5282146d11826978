import { useId } from 'react';
import { useTranslation } from '../../lib/i18n';

export interface ChartSeries {
  name: string;
  /** Tailwind fill-/stroke- colour, e.g. 'indigo-500'. */
  colour: 'indigo-500' | 'sky-400' | 'emerald-500' | 'amber-500' | 'rose-500';
  values: (number | null)[];
}

const fills: Record<ChartSeries['colour'], string> = {
  'indigo-500': 'fill-indigo-500',
  'sky-400': 'fill-sky-400',
  'emerald-500': 'fill-emerald-500',
  'amber-500': 'fill-amber-500',
  'rose-500': 'fill-rose-500',
};
const strokes: Record<ChartSeries['colour'], string> = {
  'indigo-500': 'stroke-indigo-500',
  'sky-400': 'stroke-sky-400',
  'emerald-500': 'stroke-emerald-500',
  'amber-500': 'stroke-amber-500',
  'rose-500': 'stroke-rose-500',
};

/** 1, 2, 5 × 10^n at or above `value`, so the axis reads in round numbers. */
export function niceMaximum(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const width = 640;
const height = 160;
const left = 48;
const bottom = 22;
const top = 8;

/**
 * A time-series chart drawn as SVG: bars (stacked when there are several series) or lines. For screen readers
 * the SVG has a title and a summary, and a visually hidden table holds every slot that had data.
 */
export function TimeChart({
  title,
  labels,
  series,
  kind,
  format,
  summary,
}: {
  title: string;
  /** One label per slot, oldest first. */
  labels: string[];
  series: ChartSeries[];
  kind: 'bars' | 'lines';
  format(value: number): string;
  summary: string;
}) {
  const titleId = useId();
  const { t } = useTranslation();
  const summaryId = useId();
  const count = labels.length;
  const plotWidth = width - left;
  const plotHeight = height - top - bottom;
  const slotWidth = count > 0 ? plotWidth / count : plotWidth;
  const peak =
    kind === 'bars'
      ? Math.max(0, ...labels.map((_, index) => series.reduce((sum, entry) => sum + (entry.values[index] ?? 0), 0)))
      : Math.max(0, ...series.flatMap((entry) => entry.values.map((value) => value ?? 0)));
  const maximum = niceMaximum(peak);
  const y = (value: number) => top + plotHeight - (value / maximum) * plotHeight;
  const x = (index: number) => left + index * slotWidth + slotWidth / 2;
  const rows = labels.flatMap((label, index) =>
    series.some((entry) => (entry.values[index] ?? 0) !== 0) ? [{ label, index }] : [],
  );

  return (
    <figure className="rounded border border-slate-200 p-2 dark:border-slate-800">
      <figcaption className="mb-1 flex flex-wrap items-center gap-x-3 text-sm">
        <span className="font-medium">{title}</span>
        {series.length > 1 &&
          series.map((entry) => (
            <span key={entry.name} className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="10" className={fills[entry.colour]} />
              </svg>
              {entry.name}
            </span>
          ))}
      </figcaption>
      <svg
        role="img"
        aria-labelledby={`${titleId} ${summaryId}`}
        viewBox={`0 0 ${width} ${height}`}
        className="h-auto w-full"
        preserveAspectRatio="none"
      >
        <title id={titleId}>{title}</title>
        <desc id={summaryId}>{summary}</desc>
        {[0, 0.5, 1].map((share) => (
          <g key={share}>
            <line
              x1={left}
              x2={width}
              y1={y(maximum * share)}
              y2={y(maximum * share)}
              className="stroke-slate-200 dark:stroke-slate-800"
              strokeWidth="1"
            />
            <text x={left - 4} y={y(maximum * share) + 3} textAnchor="end" className="fill-slate-500 text-[10px]">
              {format(maximum * share)}
            </text>
          </g>
        ))}
        {kind === 'bars' &&
          labels.map((label, index) => {
            let base = 0;
            return (
              <g key={label + String(index)}>
                {series.map((entry) => {
                  const value = entry.values[index] ?? 0;
                  if (value <= 0) return null;
                  const barTop = y(base + value);
                  const barBottom = y(base);
                  base += value;
                  return (
                    <rect
                      key={entry.name}
                      x={left + index * slotWidth + (slotWidth > 3 ? 0.5 : 0)}
                      width={Math.max(0.5, slotWidth - (slotWidth > 3 ? 1 : 0))}
                      y={barTop}
                      height={Math.max(0.5, barBottom - barTop)}
                      className={fills[entry.colour]}
                    >
                      <title>{`${label} ${entry.name}: ${format(value)}`}</title>
                    </rect>
                  );
                })}
              </g>
            );
          })}
        {kind === 'lines' &&
          series.map((entry) => {
            // Slots without requests have no latency: the line breaks there instead of dropping to zero.
            const segments: string[][] = [[]];
            entry.values.forEach((value, index) => {
              if (value === null) segments.push([]);
              else segments.at(-1)?.push(`${x(index).toFixed(1)},${y(value).toFixed(1)}`);
            });
            return (
              <g key={entry.name}>
                {segments
                  .filter((points) => points.length > 1)
                  .map((points) => (
                    <polyline
                      key={points[0]}
                      points={points.join(' ')}
                      fill="none"
                      strokeWidth="1.5"
                      className={strokes[entry.colour]}
                    />
                  ))}
                {entry.values.map((value, index) =>
                  value === null ? null : (
                    <circle
                      key={labels[index] ?? index}
                      cx={x(index)}
                      cy={y(value)}
                      r={count > 120 ? 1 : 2}
                      className={fills[entry.colour]}
                    >
                      <title>{`${labels[index]} ${entry.name}: ${format(value)}`}</title>
                    </circle>
                  ),
                )}
              </g>
            );
          })}
        <text x={left} y={height - 6} className="fill-slate-500 text-[10px]">
          {labels[0]}
        </text>
        <text x={width} y={height - 6} textAnchor="end" className="fill-slate-500 text-[10px]">
          {labels.at(-1)}
        </text>
      </svg>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.usage.time')}</th>
            {series.map((entry) => (
              <th key={entry.name} scope="col">
                {entry.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={series.length + 1}>{t('admin.usage.noData')}</td>
            </tr>
          ) : (
            rows.map(({ label, index }) => (
              <tr key={label + String(index)}>
                <th scope="row">{label}</th>
                {series.map((entry) => {
                  const value = entry.values[index] ?? null;
                  return <td key={entry.name}>{value === null ? '–' : format(value)}</td>;
                })}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </figure>
  );
}
