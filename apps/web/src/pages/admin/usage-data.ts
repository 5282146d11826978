import type { UsageResponse, UsageStats } from '@switchyard/api-schemas';
import { formatDateTime, formatNumber } from '../../lib/i18n';

/** What `GET /v1/admin/usage` answers: the server's schema, the numbers per bucket, model, provider and in total. */
export type { UsageResponse, UsageStats };

export interface UsageRange {
  /** Its name on the page is admin.usage.ranges.<id> in the locales. */
  id: '1h' | '6h' | '24h' | '7d';
  bucket: 'minute' | 'hour';
  slots: number;
}

export const usageRanges: readonly UsageRange[] = [
  { id: '1h', bucket: 'minute', slots: 60 },
  { id: '6h', bucket: 'minute', slots: 360 },
  { id: '24h', bucket: 'hour', slots: 24 },
  { id: '7d', bucket: 'hour', slots: 168 },
];

export const stepOf = (bucket: 'minute' | 'hour') => (bucket === 'minute' ? 60_000 : 3_600_000);

/** The start of the oldest slot: whole minutes or hours (UTC, like the server's date_trunc), the current one last. */
export function rangeStart(range: UsageRange, now: number): number {
  const step = stepOf(range.bucket);
  return Math.floor(now / step) * step - (range.slots - 1) * step;
}

export type Slot = UsageStats & { start: number };

const emptyStats: UsageStats = {
  requests: 0,
  tokens: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  errors: 0,
  server_errors: 0,
  error_rate: 0,
  latency_p50_ms: null,
  latency_p95_ms: null,
  latency_p99_ms: null,
  cost_usd: 0,
};

/**
 * One entry per time slot, zero (and no latency) where nothing happened, so every chart has the same steady
 * time axis. The server only returns buckets that had requests.
 */
export function fillSlots(buckets: UsageResponse['buckets'], since: number, step: number, count: number): Slot[] {
  const byStart = new Map(buckets.map((entry) => [new Date(entry.start).getTime(), entry]));
  return Array.from({ length: count }, (_, index) => {
    const start = since + index * step;
    const entry = byStart.get(start);
    return { ...emptyStats, ...entry, start };
  });
}

/** A dashboard figure in the page's language with at most `digits` decimals; '–' where there is none. */
export function formatFigure(value: number | null, digits = 0): string {
  if (value === null) return '–';
  return formatNumber(value, { maximumFractionDigits: digits });
}

export const formatMs = (value: number | null) =>
  value === null ? '–' : `${formatFigure(value, value < 10 ? 1 : 0)} ms`;

/** A slot's label in the page's language: its time, and the day too for hourly slots. */
export function formatSlot(start: number, bucket: 'minute' | 'hour'): string {
  const time = { hour: '2-digit', minute: '2-digit' } as const;
  return formatDateTime(start, bucket === 'minute' ? time : { day: 'numeric', month: 'short', ...time });
}

export type Health = 'idle' | 'healthy' | 'degraded' | 'failing';

/** A provider's state from its recent traffic: the share of answers that were server errors (5xx). */
export function healthOf(stats: Pick<UsageStats, 'requests' | 'server_errors'>): Health {
  if (stats.requests === 0) return 'idle';
  const rate = stats.server_errors / stats.requests;
  if (rate >= 0.5) return 'failing';
  if (rate >= 0.05) return 'degraded';
  return 'healthy';
}
