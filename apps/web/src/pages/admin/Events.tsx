import type { EventDeadLetter, EventDeadLetterList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useEffect, useState } from 'react';
import { Trans } from 'react-i18next';
import { ErrorBox, Field, inputClass, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { formatDateTime, useTranslation } from '../../lib/i18n';
import { AdminTable } from './AdminTable';

const refreshMs = 5000;
/** The server's default page (see deadJobPage in @switchyard/api-schemas). */
const pageSize = 50;
const queryKey = ['event-dead-letters'];
/** A consumer group's name as the bus accepts it (see subscribe in @switchyard/events). */
const groupPattern = /^[a-z][a-z0-9-]{0,62}$/;

/** Events a consumer group gave up on (see docs/events.md): what failed, why, the payload, and replay. */
export function Events() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  /** The group whose dead letters are shown (null: every group), and what the field holds. */
  const [group, setGroup] = useState<string | null>(null);
  const [groupInput, setGroupInput] = useState('');
  const [groupProblem, setGroupProblem] = useState<string | null>(null);
  /** Groups seen in any list so far, offered as suggestions. */
  const [knownGroups, setKnownGroups] = useState<string[]>([]);
  const list = useQuery({
    queryKey: [...queryKey, group],
    // The server's default page (the newest 50); it does not coerce query strings, so no ?limit here.
    queryFn: () =>
      api<EventDeadLetterList>(`/v1/admin/events/dead-letters${group ? `?group=${encodeURIComponent(group)}` : ''}`),
    refetchInterval: refreshMs,
  });
  useEffect(() => {
    const seen = list.data?.dead_letters.map((dead) => dead.group) ?? [];
    setKnownGroups((known) => {
      const merged = new Set([...known, ...seen]);
      return merged.size === known.length ? known : [...merged].sort();
    });
  }, [list.data]);
  const applyFilter = (event: FormEvent) => {
    event.preventDefault();
    const wanted = groupInput.trim();
    if (wanted !== '' && !groupPattern.test(wanted)) {
      setGroupProblem(t('admin.events.groupProblem'));
      return;
    }
    setGroupProblem(null);
    setOpen(null);
    setConfirming(null);
    setGroup(wanted === '' ? null : wanted);
  };
  const clearFilter = () => {
    setGroupInput('');
    setGroupProblem(null);
    setGroup(null);
  };
  const replay = useMutation({
    mutationFn: (id: string) =>
      api<EventDeadLetter>(`/v1/admin/events/dead-letters/${encodeURIComponent(id)}/replay`, { method: 'POST' }),
    onSettled: () => {
      setConfirming(null);
      void client.invalidateQueries({ queryKey });
    },
  });
  const deadLetters = list.data?.dead_letters;

  return (
    <section aria-labelledby="events-heading" className="space-y-4">
      <h2 id="events-heading" className="text-lg font-semibold">
        {t('admin.events.title')}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {t('admin.events.intro')}
        {list.data && (
          <>
            {' '}
            <Trans
              i18nKey="admin.events.backend"
              values={{ backend: list.data.backend }}
              components={{ strong: <strong /> }}
            />
          </>
        )}
      </p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={applyFilter}
        aria-label={t('admin.events.filterLabel')}
      >
        <Field label={t('admin.events.group')}>
          <input
            className={inputClass}
            name="group"
            list="event-dead-letter-groups"
            placeholder={t('admin.events.everyGroup')}
            value={groupInput}
            maxLength={63}
            aria-invalid={groupProblem !== null}
            aria-describedby={groupProblem ? 'event-group-problem' : undefined}
            onChange={(event) => setGroupInput(event.target.value)}
          />
        </Field>
        <datalist id="event-dead-letter-groups">
          {knownGroups.map((known) => (
            <option key={known} value={known} />
          ))}
        </datalist>
        <button type="submit" className={secondaryButtonClass}>
          {t('admin.events.filter')}
        </button>
        {group && (
          <button type="button" className="text-sm underline" onClick={clearFilter}>
            {t('admin.events.showEvery')}
          </button>
        )}
        {groupProblem && (
          <p id="event-group-problem" role="alert" className="w-full text-sm text-red-700 dark:text-red-400">
            {groupProblem}
          </p>
        )}
      </form>
      {list.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">{t('admin.events.loadFailed')}</p>
          <ErrorBox error={list.error} />
        </div>
      )}
      {replay.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">{t('admin.events.replayFailed', { id: replay.variables })}</p>
          <ErrorBox error={replay.error} />
        </div>
      )}
      {replay.isSuccess && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          {t('admin.events.replayed', { name: replay.data.event.name, id: replay.data.id, group: replay.data.group })}
        </p>
      )}
      {list.isPending && <p className="text-sm text-slate-500">{t('common.loading')}</p>}
      {deadLetters?.length === 0 &&
        (group ? (
          <p className="text-sm text-slate-500">
            <Trans i18nKey="admin.events.noneOfGroup" values={{ group }} components={{ code: <code /> }} />
          </p>
        ) : (
          <p className="text-sm text-slate-500">{t('admin.events.empty')}</p>
        ))}
      {deadLetters?.length === pageSize && (
        <p className="text-sm text-slate-500">{t('admin.events.newest', { count: pageSize })}</p>
      )}
      {deadLetters && deadLetters.length > 0 && (
        <AdminTable
          columns={[
            t('admin.events.event'),
            t('admin.events.group'),
            t('admin.events.environment'),
            t('admin.events.attempts'),
            t('admin.events.lastError'),
            t('admin.events.deadSince'),
            { hidden: t('common.actions') },
          ]}
        >
          <tbody>
            {deadLetters.map((dead) => {
              const label = `${dead.event.name} ${dead.id}`;
              const payloadId = `event-payload-${dead.id}`;
              return (
                <Fragment key={dead.id}>
                  <tr data-dead-letter={dead.id}>
                    <td>
                      <code>{dead.event.name}</code>
                    </td>
                    <td>
                      <code>{dead.group}</code>
                    </td>
                    <td>{dead.event.environment}</td>
                    <td>{dead.attempts}</td>
                    <td className="text-red-700 dark:text-red-400">
                      {dead.last_error.message}
                      {dead.last_error.code && (
                        <>
                          {' '}
                          <code className="text-xs">{dead.last_error.code}</code>
                        </>
                      )}
                    </td>
                    <td className="whitespace-nowrap">
                      <time dateTime={dead.dead_at}>{formatDateTime(dead.dead_at)}</time>
                    </td>
                    <td className="whitespace-nowrap">
                      <button
                        type="button"
                        className="underline"
                        aria-label={t('admin.events.payloadOf', { label })}
                        aria-expanded={open === dead.id}
                        aria-controls={payloadId}
                        onClick={() => setOpen(open === dead.id ? null : dead.id)}
                      >
                        {t('admin.events.payload')}
                      </button>{' '}
                      {confirming === dead.id ? (
                        <>
                          <button
                            type="button"
                            className="text-red-700 underline dark:text-red-400"
                            aria-label={t('admin.events.confirmReplay', { label })}
                            disabled={replay.isPending}
                            onClick={() => replay.mutate(dead.id)}
                          >
                            {t('admin.events.reallyReplay')}
                          </button>{' '}
                          <button type="button" className="underline" onClick={() => setConfirming(null)}>
                            {t('admin.events.keep')}
                          </button>
                        </>
                      ) : (
                        <button
                          type="button"
                          className={secondaryButtonClass}
                          aria-label={t('admin.events.replayLabel', { label })}
                          disabled={replay.isPending}
                          onClick={() => setConfirming(dead.id)}
                        >
                          {t('admin.events.replay')}
                        </button>
                      )}
                    </td>
                  </tr>
                  {open === dead.id && (
                    <tr id={payloadId}>
                      <td colSpan={7}>
                        <p className="text-xs text-slate-500">
                          <Trans
                            i18nKey="admin.events.details"
                            values={{
                              id: dead.event.id,
                              version: dead.event.version,
                              published: formatDateTime(dead.event.published_at),
                            }}
                            components={{ code: <code /> }}
                          />
                          {dead.event.flow_id && (
                            <>
                              {', '}
                              <Trans
                                i18nKey="admin.events.flow"
                                values={{ flow: dead.event.flow_id }}
                                components={{ code: <code /> }}
                              />
                            </>
                          )}
                        </p>
                        <pre
                          data-testid="event-payload"
                          className="overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-900"
                        >
                          {JSON.stringify(dead.event.payload, null, 2)}
                        </pre>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </AdminTable>
      )}
    </section>
  );
}
