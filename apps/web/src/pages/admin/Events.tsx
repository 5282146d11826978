import type { EventDeadLetter, EventDeadLetterList } from '@switchyard/api-schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useEffect, useState } from 'react';
import { ErrorBox, Field, inputClass, secondaryButtonClass } from '../../components/ui';
import { api } from '../../lib/api';
import { AdminTable } from './AdminTable';

const refreshMs = 5000;
/** The server's default page (see deadJobPage in @switchyard/api-schemas). */
const pageSize = 50;
const queryKey = ['event-dead-letters'];
/** A consumer group's name as the bus accepts it (see subscribe in @switchyard/events). */
const groupPattern = /^[a-z][a-z0-9-]{0,62}$/;

/** Events a consumer group gave up on (see docs/events.md): what failed, why, the payload, and replay. */
export function Events() {
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
      setGroupProblem('A consumer group is 1-63 lower-case letters, digits and -, starting with a letter.');
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
        Event dead letters
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Events a consumer group gave up on after its last attempt, newest first. Replay sends one back to that group
        with its attempts reset.
        {list.data && (
          <>
            {' '}
            Event bus backend <strong>{list.data.backend}</strong>.
          </>
        )}
      </p>
      <form className="flex flex-wrap items-end gap-2" onSubmit={applyFilter} aria-label="Filter dead letters">
        <Field label="Consumer group">
          <input
            className={inputClass}
            name="group"
            list="event-dead-letter-groups"
            placeholder="every group"
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
          Filter
        </button>
        {group && (
          <button type="button" className="text-sm underline" onClick={clearFilter}>
            Show every group
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
          <p className="text-sm font-medium">Could not load the dead letters.</p>
          <ErrorBox error={list.error} />
        </div>
      )}
      {replay.error && (
        <div className="space-y-1">
          <p className="text-sm font-medium">Replay of {replay.variables} failed.</p>
          <ErrorBox error={replay.error} />
        </div>
      )}
      {replay.isSuccess && (
        <p role="status" className="text-sm text-green-700 dark:text-green-400">
          Replayed {replay.data.event.name} ({replay.data.id}) to {replay.data.group}.
        </p>
      )}
      {list.isPending && <p className="text-sm text-slate-500">Loading…</p>}
      {deadLetters?.length === 0 &&
        (group ? (
          <p className="text-sm text-slate-500">
            No dead letters of group <code>{group}</code>.
          </p>
        ) : (
          <p className="text-sm text-slate-500">Empty: every consumer group has handled its events.</p>
        ))}
      {deadLetters?.length === pageSize && (
        <p className="text-sm text-slate-500">The newest {pageSize}; replay them to see older ones.</p>
      )}
      {deadLetters && deadLetters.length > 0 && (
        <AdminTable
          columns={[
            'Event',
            'Consumer group',
            'Environment',
            'Attempts',
            'Last error',
            'Dead since',
            { hidden: 'Actions' },
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
                      <time dateTime={dead.dead_at}>{new Date(dead.dead_at).toLocaleString('en-GB')}</time>
                    </td>
                    <td className="whitespace-nowrap">
                      <button
                        type="button"
                        className="underline"
                        aria-label={`Payload of ${label}`}
                        aria-expanded={open === dead.id}
                        aria-controls={payloadId}
                        onClick={() => setOpen(open === dead.id ? null : dead.id)}
                      >
                        Payload
                      </button>{' '}
                      {confirming === dead.id ? (
                        <>
                          <button
                            type="button"
                            className="text-red-700 underline dark:text-red-400"
                            aria-label={`Confirm replaying ${label}`}
                            disabled={replay.isPending}
                            onClick={() => replay.mutate(dead.id)}
                          >
                            Really replay
                          </button>{' '}
                          <button type="button" className="underline" onClick={() => setConfirming(null)}>
                            Keep
                          </button>
                        </>
                      ) : (
                        <button
                          type="button"
                          className={secondaryButtonClass}
                          aria-label={`Replay ${label}`}
                          disabled={replay.isPending}
                          onClick={() => setConfirming(dead.id)}
                        >
                          Replay
                        </button>
                      )}
                    </td>
                  </tr>
                  {open === dead.id && (
                    <tr id={payloadId}>
                      <td colSpan={7}>
                        <p className="text-xs text-slate-500">
                          Event <code>{dead.event.id}</code>, version {dead.event.version}, published{' '}
                          {new Date(dead.event.published_at).toLocaleString('en-GB')}
                          {dead.event.flow_id && (
                            <>
                              , flow <code>{dead.event.flow_id}</code>
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
