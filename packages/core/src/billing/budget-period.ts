export type BudgetPeriod = 'day' | 'month';

export interface PeriodWindow {
  /** 'd2026-12-03' or 'm2026-12': part of the counter's name, so a new period starts at zero. */
  id: string;
  startsAt: Date;
  resetsAt: Date;
}

/** The UTC day or month an instant falls in. */
export function periodWindow(period: BudgetPeriod, now: number): PeriodWindow {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'day') {
    const startsAt = new Date(Date.UTC(year, month, date.getUTCDate()));
    return {
      id: `d${startsAt.toISOString().slice(0, 10)}`,
      startsAt,
      resetsAt: new Date(Date.UTC(year, month, date.getUTCDate() + 1)),
    };
  }
  const startsAt = new Date(Date.UTC(year, month, 1));
  return { id: `m${startsAt.toISOString().slice(0, 7)}`, startsAt, resetsAt: new Date(Date.UTC(year, month + 1, 1)) };
}
