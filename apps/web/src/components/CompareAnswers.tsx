import { useSyncExternalStore } from 'react';
import { followSession, type StartInput, startChat, stopChat } from '../lib/chat';
import type { ChatMessage } from '../lib/conversations';
import { t as translate, useTranslation } from '../lib/i18n';
import { createStreamText, type StreamText } from '../lib/stream-text';
import { Markdown } from './Markdown';
import { buttonClass, secondaryButtonClass } from './ui';

export interface CompareColumn {
  model: string;
  sessionId: string;
  messageId: string;
  text: StreamText;
  status: 'streaming' | 'complete' | 'stopped' | 'failed';
  error: string | null;
}

/** One question sent to two or three models; each answer is a version of the others. */
export interface CompareRun {
  chatId: string;
  user: ChatMessage;
  /** How many stored messages stay shown above the question. */
  keep: number;
  columns: CompareColumn[];
  done: boolean;
}

/**
 * Starts the comparison (one session per model), follows each stream into its column, and reports
 * every change through `update`. `finished` settles when every answer has ended.
 */
export async function startCompare(
  input: StartInput & { models: string[]; message: string },
  user: ChatMessage,
  keep: number,
  update: (run: CompareRun) => void,
): Promise<{ chatId: string; finished: Promise<void> }> {
  const started = await startChat(input);
  let run: CompareRun = {
    chatId: started.chatId,
    user,
    keep,
    done: false,
    columns: started.sessions.map((session) => ({
      ...session,
      text: createStreamText(),
      status: 'streaming',
      error: null,
    })),
  };
  update(run);
  const change = (index: number, fields: Partial<CompareColumn>) => {
    const columns = run.columns.map((column, at) => (at === index ? { ...column, ...fields } : column));
    run = { ...run, columns, done: columns.every((column) => column.status !== 'streaming') };
    update(run);
  };
  const finished = Promise.all(
    run.columns.map(async (column, index) => {
      try {
        const result = await followSession(column.sessionId, { onDelta: (delta) => column.text.append(delta) });
        column.text.flush();
        change(index, { status: result.status, error: result.error?.message ?? null });
      } catch (caught) {
        change(index, {
          status: 'failed',
          error: caught instanceof Error ? caught.message : translate('compare.streamFailed'),
        });
      }
    }),
  ).then(() => undefined);
  return { chatId: started.chatId, finished };
}

function ColumnText({ text }: { text: StreamText }) {
  const value = useSyncExternalStore(text.subscribe, text.get);
  return <Markdown text={value || '…'} />;
}

/** The answers side by side (stacked on a phone); once all have ended, one can be kept as the branch. */
export function CompareAnswers({
  run,
  onKeep,
  onClose,
}: {
  run: CompareRun;
  onKeep(messageId: string): void;
  onClose(): void;
}) {
  const { t } = useTranslation();
  return (
    <section aria-label={t('compare.label')} className="border-t border-slate-200 p-2 dark:border-slate-800">
      <div className="mb-2 flex items-center gap-2 text-sm">
        <h2 className="font-semibold">{t('compare.title')}</h2>
        <p className="text-slate-500" aria-live="polite">
          {run.done ? t('compare.allIn') : t('compare.answering')}
        </p>
        <button type="button" className={`${secondaryButtonClass} ml-auto`} onClick={onClose}>
          {t('compare.close')}
        </button>
      </div>
      <div
        className={`grid max-h-[50dvh] gap-2 overflow-auto grid-cols-1 ${run.columns.length === 3 ? 'md:grid-cols-3' : 'md:grid-cols-2'}`}
      >
        {run.columns.map((column) => (
          <article
            key={column.sessionId}
            aria-label={t('compare.answerFrom', { model: column.model })}
            className="min-w-0 rounded-lg bg-slate-50 p-3 dark:bg-slate-900"
          >
            <div className="mb-1 flex items-center gap-2 text-xs font-semibold text-slate-500">
              <span>{column.model}</span>
              {column.status === 'streaming' ? (
                <button
                  type="button"
                  className="underline"
                  onClick={() => void stopChat(column.sessionId).catch(() => {})}
                >
                  {t('compare.stop')}
                </button>
              ) : (
                <span>
                  {column.status === 'complete'
                    ? t('compare.done')
                    : column.status === 'stopped'
                      ? t('compare.stopped')
                      : t('compare.failed')}
                </span>
              )}
            </div>
            <ColumnText text={column.text} />
            {column.error && <p className="mt-1 text-sm text-red-600">{column.error}</p>}
            {run.done && column.status !== 'failed' && (
              <button type="button" className={`${buttonClass} mt-2`} onClick={() => onKeep(column.messageId)}>
                {t('compare.keep')}
              </button>
            )}
          </article>
        ))}
      </div>
    </section>
  );
}
