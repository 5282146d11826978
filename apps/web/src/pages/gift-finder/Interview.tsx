import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { buttonClass, inputClass } from '../../components/ui';
import { ApiError } from '../../lib/api';
import { answerGiftSession, type GiftSession, giftSessionKey } from '../../lib/gift-finder';
import { useTranslation } from '../../lib/i18n';
import { GiftErrorBox } from './GiftErrorBox';

const maxAnswer = 2000;

/** The interview as a chat: the assistant's questions, the user's answers, a composer while a question is open. */
export function Interview({ session }: { session: GiftSession }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [text, setText] = useState('');
  const log = useRef<HTMLDivElement>(null);
  const ids = useId();
  const answer = useMutation({
    mutationFn: (value: string) => answerGiftSession(session.id, value),
    onSuccess: (updated) => {
      client.setQueryData(giftSessionKey(session.id), updated);
      setText('');
    },
    onError: (error) => {
      // The interview moved on without this answer (another tab, the end): show where it is now.
      if (error instanceof ApiError && error.code === 'SY_ERR_GIFT_SESSION_STATE') {
        void client.invalidateQueries({ queryKey: giftSessionKey(session.id) });
      }
    },
  });
  const interviewing = session.status === 'interviewing';
  const canSend = session.awaiting_answer && !answer.isPending && text.trim() !== '';

  const send = () => {
    if (!canSend) return;
    answer.reset();
    answer.mutate(text.trim());
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition is not a send.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const count = session.messages.length;
  useEffect(() => {
    if (count > 0) log.current?.lastElementChild?.scrollIntoView?.({ block: 'nearest' });
  }, [count]);

  return (
    <section aria-labelledby={`${ids}-title`} className="space-y-3">
      <h3 id={`${ids}-title`} className="font-semibold">
        {t('gift.interview.title')}
      </h3>
      <div
        ref={log}
        role="log"
        aria-label={t('gift.interview.messages')}
        className="max-h-[28rem] space-y-2 overflow-y-auto rounded-md border border-slate-200 p-3 dark:border-slate-800"
      >
        {count === 0 && (
          <p className="text-sm text-slate-600 dark:text-slate-300">
            {interviewing ? t('gift.interview.firstQuestion') : t('gift.interview.noMessages')}
          </p>
        )}
        {session.messages.map((message) => (
          <article
            key={message.id}
            aria-label={message.role === 'assistant' ? t('gift.interview.question') : t('gift.interview.answer')}
            data-role={message.role}
            className={
              message.role === 'assistant'
                ? 'mr-8 whitespace-pre-wrap break-words rounded-lg bg-slate-100 px-3 py-2 text-sm dark:bg-slate-800'
                : 'ml-8 whitespace-pre-wrap break-words rounded-lg bg-indigo-600 px-3 py-2 text-sm text-white'
            }
          >
            {message.text}
          </article>
        ))}
      </div>
      {interviewing && (
        <form
          className="space-y-2"
          onSubmit={(event) => {
            event.preventDefault();
            send();
          }}
        >
          <label htmlFor={`${ids}-answer`} className="block text-sm font-medium">
            {t('gift.interview.yourAnswer')}
          </label>
          <div className="flex items-end gap-2">
            <textarea
              id={`${ids}-answer`}
              className={inputClass}
              rows={2}
              maxLength={maxAnswer}
              value={text}
              aria-describedby={`${ids}-hint`}
              onChange={(event) => setText(event.target.value)}
              onKeyDown={onKeyDown}
            />
            <button type="submit" className={buttonClass} disabled={!canSend}>
              {answer.isPending ? t('gift.interview.sending') : t('gift.interview.send')}
            </button>
          </div>
          <p id={`${ids}-hint`} className="text-xs text-slate-600 dark:text-slate-300">
            {session.awaiting_answer ? t('gift.interview.hint') : t('gift.interview.waiting')}
          </p>
          <GiftErrorBox error={answer.error} />
        </form>
      )}
    </section>
  );
}
