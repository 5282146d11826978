import { memo, useState } from 'react';
import type { ChatMessage } from '../lib/conversations';
import { formatDateTime, formatNumber, formatUsd, useTranslation } from '../lib/i18n';

/** Cost is filled in by the server once model prices are configured; absent or null, nothing is shown. */
type MessageWithCost = ChatMessage & { costUsd?: number | null };

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Under a message: copy the whole message (its Markdown source), and for an answer the model, the time,
 * the tokens in and out, how long it took, and its cost when the server knows it. Numbers and dates are
 * in the page's language.
 */
export const MessageMeta = memo(function MessageMeta({ message }: { message: MessageWithCost }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const answer = message.role === 'assistant';
  const created = message.createdAt ? new Date(message.createdAt) : null;
  const tokensIn = message.promptTokens ?? null;
  const tokensOut = message.completionTokens ?? null;
  const parts: Array<{ key: string; text: string; label?: string }> = [];
  if (answer && message.model) parts.push({ key: 'model', text: message.model, label: t('message.model') });
  if (created && !Number.isNaN(created.getTime())) {
    parts.push({
      key: 'time',
      text: formatDateTime(created, { timeStyle: 'short' }),
      label: formatDateTime(created, { dateStyle: 'full', timeStyle: 'medium' }),
    });
  }
  if (answer && (tokensIn !== null || tokensOut !== null)) {
    parts.push({
      key: 'tokens',
      text: t('message.tokens', { in: formatNumber(tokensIn ?? 0), out: formatNumber(tokensOut ?? 0) }),
      label: t('message.tokensLabel', { in: formatNumber(tokensIn ?? 0), out: formatNumber(tokensOut ?? 0) }),
    });
  }
  if (answer && typeof message.durationMs === 'number') {
    parts.push({
      key: 'duration',
      text: t('message.seconds', { value: formatNumber(message.durationMs / 1000, { maximumFractionDigits: 1 }) }),
      label: t('message.durationLabel'),
    });
  }
  if (answer && typeof message.costUsd === 'number') {
    parts.push({
      key: 'cost',
      text: formatUsd(message.costUsd, { maximumSignificantDigits: 3 }),
      label: t('message.cost'),
    });
  }
  return (
    <div
      className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-0.5 text-xs text-slate-500"
      data-testid="message-meta"
    >
      <button
        type="button"
        className="rounded px-1 underline hover:bg-slate-200 dark:hover:bg-slate-800"
        aria-label={answer ? t('message.copyAnswer') : t('message.copyMessage')}
        onClick={() => void copyText(message.content).then((ok) => setCopied(ok ? 'yes' : 'failed'))}
        onBlur={() => setCopied(null)}
      >
        {copied === 'yes' ? t('common.copied') : copied === 'failed' ? t('message.copyFailed') : t('common.copy')}
      </button>
      {parts.map((part) => (
        <span key={part.key} title={part.label} data-meta={part.key}>
          {part.label && part.key !== 'time' ? <span className="sr-only">{part.label}: </span> : null}
          {part.key === 'time' && created ? <time dateTime={created.toISOString()}>{part.text}</time> : part.text}
        </span>
      ))}
      <span className="sr-only" aria-live="polite">
        {copied === 'yes' ? t('message.copiedAnnouncement') : ''}
      </span>
    </div>
  );
});
