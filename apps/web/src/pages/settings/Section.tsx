import type { ReactNode } from 'react';

/** One titled part of the Settings page; the heading names the region for screen readers. */
export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
    >
      <h2 id={`${id}-heading`} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A short confirmation read out by screen readers (role=status). */
export function Saved({ text }: { text: string | null }) {
  return (
    <span role="status" className="text-sm text-green-700 dark:text-green-400">
      {text ?? ''}
    </span>
  );
}
