import { useState } from 'react';
import { t } from '../lib/i18n';

/** The small "Copy" button on a code block or diagram; says "Copied" for a moment after a click. */
export function CopyButton({ text, label }: { text: () => string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      aria-label={label}
      className="rounded bg-slate-700 px-2 py-0.5 text-xs text-white opacity-80 hover:opacity-100"
      onClick={() => {
        void navigator.clipboard?.writeText(text());
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? t('common.copied') : t('common.copy')}
    </button>
  );
}
