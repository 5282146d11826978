import type { ReactNode } from 'react';
import { tableClass } from './table';

/** A column heading; `{ hidden }` is read by screen readers only (e.g. an actions column). */
export type Column = string | { hidden: string };

/** The admin console's data table: scrolls sideways at phone width, optional caption, one header row. */
export function AdminTable({
  caption,
  columns,
  children,
  stackOnPhone = false,
}: {
  caption?: ReactNode;
  /** At phone width each row becomes a card (index.css .stack-table); cells need `data-label`. */
  stackOnPhone?: boolean;
  columns: readonly Column[];
  /** The table body's rows. */
  children: ReactNode;
}) {
  return (
    <div className="overflow-x-auto">
      <table className={stackOnPhone ? `${tableClass} stack-table` : tableClass}>
        {caption !== undefined && <caption className="text-left font-medium">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((column) =>
              typeof column === 'string' ? (
                <th key={column} scope="col">
                  {column}
                </th>
              ) : (
                <th key={column.hidden} scope="col">
                  <span className="sr-only">{column.hidden}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        {children}
      </table>
    </div>
  );
}
