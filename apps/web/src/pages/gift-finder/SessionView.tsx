import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { buttonClass, secondaryButtonClass } from '../../components/ui';
import { useGiftEvents } from '../../lib/gift-events';
import {
  formatPrice,
  type GiftSession,
  getGiftSession,
  giftSessionKey,
  isTerminal,
  mergeGiftSession,
  sessionStatusLabel,
  stageLabel,
} from '../../lib/gift-finder';
import { formatDateTime, formatNumber, t, useTranslation } from '../../lib/i18n';
import { GiftErrorBox } from './GiftErrorBox';
import { Interview } from './Interview';
import { Products } from './Products';
import { Progress, progressSentence } from './Progress';

function budgetText(budget: NonNullable<GiftSession['summary']>['budget']): string | null {
  if (!budget) return null;
  const { min, max, currency } = budget;
  if (min !== null && max !== null) return `${formatPrice(min, currency)} – ${formatPrice(max, currency)}`;
  if (max !== null) return t('gift.learned.upTo', { price: formatPrice(max, currency) });
  if (min !== null) return t('gift.learned.from', { price: formatPrice(min, currency) });
  return null;
}

/** What the interview (and the profile) found out, once there is a summary. */
function Learned({ session }: { session: GiftSession }) {
  const { t } = useTranslation();
  const { summary, profile } = session;
  const rows: Array<[string, string]> = [];
  if (summary) {
    if (summary.relation) rows.push([t('gift.learned.relation'), summary.relation]);
    if (summary.age !== null && summary.age !== '') rows.push([t('gift.learned.age'), String(summary.age)]);
    if (summary.occasion) rows.push([t('gift.learned.occasion'), summary.occasion]);
    const budget = budgetText(summary.budget);
    if (budget) rows.push([t('gift.learned.budget'), budget]);
    if (summary.interests.length > 0) rows.push([t('gift.learned.interests'), summary.interests.join(', ')]);
    if (summary.dislikes.length > 0) rows.push([t('gift.learned.dislikes'), summary.dislikes.join(', ')]);
    if (summary.notes) rows.push([t('gift.learned.notes'), summary.notes]);
  }
  if (profile.interests.length > 0) rows.push([t('gift.learned.fromProfile'), profile.interests.join(', ')]);
  if (rows.length === 0) return null;
  return (
    <details className="rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800">
      <summary className="cursor-pointer font-medium">{t('gift.learned.title')}</summary>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-600 dark:text-slate-300">{term}</dt>
            <dd className="break-words">{value}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

function Outcome({ session, refusal, onNew }: { session: GiftSession; refusal: string | null; onNew: () => void }) {
  const { t } = useTranslation();
  if (session.status === 'refused') {
    const said = refusal ?? session.messages.filter((message) => message.role === 'assistant').at(-1)?.text;
    return (
      <div
        role="alert"
        className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
      >
        <p>
          <strong>{t('gift.progress.refused')}</strong> {t('gift.outcome.refusedWhy')}
        </p>
        {said && <p className="whitespace-pre-wrap break-words">{said}</p>}
        <button type="button" className={buttonClass} onClick={onNew}>
          {t('gift.outcome.startNew')}
        </button>
      </div>
    );
  }
  if (session.status === 'failed') {
    const failed = session.stages.filter((stage) => stage.status === 'failed');
    return (
      <div
        role="alert"
        className="space-y-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
      >
        <p>
          <strong>{t('gift.progress.failed')}</strong>{' '}
          {session.products.length > 0 ? t('gift.outcome.foundBefore') : t('gift.outcome.nothingBefore')}
        </p>
        {failed.length > 0 && (
          <ul className="list-disc pl-5">
            {failed.map((stage) => (
              <li key={stage.stage}>
                {stageLabel(stage.stage)}
                {stage.message ? `: ${stage.message}` : ` ${t('gift.stageStatuses.failed')}`}
              </li>
            ))}
          </ul>
        )}
        <button type="button" className={buttonClass} onClick={onNew}>
          {t('gift.outcome.startNew')}
        </button>
      </div>
    );
  }
  return null;
}

/** One gift search: its snapshot (GET) kept current by its event stream. */
export function SessionView({ sessionId, onNew }: { sessionId: string; onNew: () => void }) {
  const { t } = useTranslation();
  const ids = useId();
  const snapshot = useQuery({ queryKey: giftSessionKey(sessionId), queryFn: () => getGiftSession(sessionId) });
  const follow = snapshot.data !== undefined && !isTerminal(snapshot.data.status);
  const { live, connection, retry } = useGiftEvents(sessionId, follow);

  if (snapshot.isPending) {
    return (
      <p role="status" className="text-sm">
        {t('gift.loading')}
      </p>
    );
  }
  if (!snapshot.data) {
    return (
      <div className="space-y-3">
        <GiftErrorBox error={snapshot.error} />
        <button type="button" className={secondaryButtonClass} onClick={onNew}>
          {t('gift.outcome.startNew')}
        </button>
      </div>
    );
  }
  const session = mergeGiftSession(snapshot.data, live);
  const { usage } = session;
  return (
    <article aria-labelledby={`${ids}-title`} className="space-y-4" data-status={session.status}>
      <header className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 id={`${ids}-title`} className="break-words text-lg font-semibold">
          {session.recipient ? t('gift.giftFor', { recipient: session.recipient }) : t('gift.giftSearch')}
        </h2>
        <span
          data-testid="session-status"
          className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium dark:bg-slate-800"
        >
          {sessionStatusLabel(session.status)}
        </span>
        <span className="text-xs text-slate-600 dark:text-slate-300">
          {session.currency} · <time dateTime={session.created_at}>{formatDateTime(session.created_at)}</time>
        </span>
      </header>
      <p role="status" aria-live="polite" className="text-sm" data-testid="progress-sentence">
        {progressSentence(session)}
      </p>
      {connection === 'reconnecting' && (
        <p className="text-sm text-amber-800 dark:text-amber-300">{t('gift.reconnecting')}</p>
      )}
      {connection === 'closed' && !isTerminal(session.status) && (
        <div role="alert" className="flex flex-wrap items-center gap-2 text-sm text-red-800 dark:text-red-300">
          {t('gift.liveStopped')}
          <button type="button" className={secondaryButtonClass} onClick={retry}>
            {t('gift.reconnect')}
          </button>
        </div>
      )}
      <Outcome session={session} refusal={live.refusal} onNew={onNew} />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Interview session={session} />
        <div className="space-y-4">
          <Progress session={session} />
          <Learned session={session} />
        </div>
      </div>
      <Products session={session} />
      {(usage.prompt_tokens > 0 || usage.completion_tokens > 0) && (
        <p className="text-xs text-slate-600 dark:text-slate-300">
          {usage.cost > 0
            ? t('gift.usageCost', {
                prompt: formatNumber(usage.prompt_tokens),
                completion: formatNumber(usage.completion_tokens),
                cost: usage.cost,
              })
            : t('gift.usage', {
                prompt: formatNumber(usage.prompt_tokens),
                completion: formatNumber(usage.completion_tokens),
              })}
        </p>
      )}
    </article>
  );
}
