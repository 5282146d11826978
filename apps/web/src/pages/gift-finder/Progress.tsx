import { useId } from 'react';
import {
  type GiftSession,
  type GiftStage,
  type GiftStageName,
  marketplaceName,
  marketplaceStatusLabel,
  stageLabel,
  stageOrder,
  stageStatusLabel,
} from '../../lib/gift-finder';
import { t, useTranslation } from '../../lib/i18n';

const statusIcon: Record<string, string> = {
  pending: '○',
  started: '◔',
  completed: '✓',
  failed: '✕',
  rate_limited: '!',
  skipped: '–',
  none: '–',
};
const statusColour: Record<string, string> = {
  completed: 'text-emerald-700 dark:text-emerald-400',
  failed: 'text-red-700 dark:text-red-400',
  rate_limited: 'text-amber-700 dark:text-amber-400',
  started: 'text-indigo-700 dark:text-indigo-300',
};

/** A stage's progress (a fraction, 0 to 1) as a whole percentage. */
export function percent(progress: number | undefined): number | null {
  if (progress === undefined || !Number.isFinite(progress)) return null;
  return Math.max(0, Math.min(100, Math.round(progress * 100)));
}

/** The stage a session is at now: the last one started or finished. */
function currentStage(session: GiftSession): GiftStage | undefined {
  return [...session.stages].reverse().find((stage) => stage.status !== 'pending');
}

/** One sentence of where the session is, for everyone and for the live region. */
export function progressSentence(session: GiftSession): string {
  const found = session.products.length;
  const products = t('gift.progress.products', { count: found });
  switch (session.status) {
    case 'ready':
      return t('gift.progress.ready', { count: session.ranking?.length ?? 0, products });
    case 'refused':
      return t('gift.progress.refused');
    case 'failed':
      return found > 0 ? t('gift.progress.failedAfter', { products }) : t('gift.progress.failed');
    case 'interviewing':
      return session.awaiting_answer ? t('gift.progress.awaitingAnswer') : t('gift.progress.thinking');
  }
  const stage = currentStage(session);
  if (!stage) return t('gift.progress.searching');
  const pct = percent(stage.progress);
  const detail = stage.message ? `: ${stage.message}` : '';
  const share = pct !== null && stage.status === 'started' ? ` ${pct}%` : '';
  return t('gift.progress.stage', {
    stage: stageLabel(stage.stage),
    status: stageStatusLabel(stage.status),
    share,
    detail,
    products,
  });
}

function stageOf(session: GiftSession, name: GiftStageName): GiftStage {
  return session.stages.find((stage) => stage.stage === name) ?? { stage: name, status: 'pending' };
}

/** Each stage with its status (and progress); the marketplace search with each marketplace's state. */
export function Progress({ session }: { session: GiftSession }) {
  const { t } = useTranslation();
  const ids = useId();
  return (
    <section aria-labelledby={`${ids}-title`} className="space-y-2">
      <h3 id={`${ids}-title`} className="font-semibold">
        {t('gift.progress.title')}
      </h3>
      <ol className="space-y-1 text-sm">
        {stageOrder.map((name) => {
          const stage = stageOf(session, name);
          // No profile was given: that stage does not run.
          const skipped = name === 'profile' && session.profile.status === 'none' && stage.status === 'pending';
          const key = skipped ? 'skipped' : stage.status;
          const pct = percent(stage.progress);
          return (
            <li key={name} data-stage={name} data-status={key} className="rounded-md px-2 py-1">
              <div className="flex flex-wrap items-center gap-x-2">
                <span aria-hidden="true" className={`w-4 text-center ${statusColour[key] ?? ''}`}>
                  {statusIcon[key]}
                </span>
                <span className="font-medium">{stageLabel(name)}</span>
                <span className={statusColour[key] ?? 'text-slate-600 dark:text-slate-300'}>
                  {skipped ? t('gift.progress.skippedNoProfile') : stageStatusLabel(stage.status)}
                </span>
                {pct !== null && stage.status === 'started' && (
                  <progress
                    className="h-2 w-24 accent-indigo-600"
                    max={100}
                    value={pct}
                    aria-label={t('gift.progress.stageProgress', { stage: stageLabel(name) })}
                  >
                    {pct}%
                  </progress>
                )}
              </div>
              {/* The marketplace list below says per marketplace what the fetch stage's last message said of one. */}
              {stage.message && !(name === 'fetch' && session.marketplaces.length > 0) && (
                <p className="ml-6 break-words text-xs text-slate-600 dark:text-slate-300">{stage.message}</p>
              )}
              {name === 'profile' && session.profile.failures.length > 0 && (
                <ul className="ml-6 text-xs text-amber-800 dark:text-amber-300">
                  {session.profile.failures.map((failure) => (
                    <li key={failure.url} className="break-all">
                      {t('gift.progress.couldNotRead', { url: failure.url, reason: failure.reason })}
                    </li>
                  ))}
                </ul>
              )}
              {name === 'fetch' && session.marketplaces.length > 0 && (
                <ul aria-label={t('gift.progress.marketplaces')} className="ml-6 mt-1 space-y-0.5 text-xs">
                  {session.marketplaces.map((entry) => (
                    <li key={entry.marketplace} data-marketplace={entry.marketplace} data-status={entry.status}>
                      <span aria-hidden="true" className={`mr-1 ${statusColour[entry.status] ?? ''}`}>
                        {statusIcon[entry.status]}
                      </span>
                      <span className="font-medium">{marketplaceName(entry.marketplace)}</span>{' '}
                      <span className={statusColour[entry.status] ?? ''}>{marketplaceStatusLabel(entry.status)}</span>
                      {`, ${t('gift.progress.countFound', { count: entry.count })}`}
                      {entry.message && <span className="break-words">{` (${entry.message})`}</span>}
                    </li>
                  ))}
                </ul>
              )}
              {name === 'ideas' && session.ideas.length > 0 && (
                <details className="ml-6 mt-1 text-xs">
                  <summary className="cursor-pointer">
                    {t('gift.progress.ideas', { count: session.ideas.length })}
                  </summary>
                  <ul className="mt-1 list-disc space-y-0.5 pl-5">
                    {session.ideas.map((idea) => (
                      <li key={idea.id}>
                        <span className="font-medium">{idea.title}</span>
                        {idea.reason && ` — ${idea.reason}`}
                      </li>
                    ))}
                  </ul>
                </details>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
