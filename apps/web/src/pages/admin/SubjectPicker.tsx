import type { AssignPlanRequest, KeyList, UserList } from '@switchyard/api-schemas';
import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useId, useState } from 'react';
import { inputClass } from '../../components/ui';
import { api } from '../../lib/api';
import { useTranslation } from '../../lib/i18n';

export type SubjectType = AssignPlanRequest['subject_type'];

export interface Subject {
  id: string;
  label: string;
}

/** How many matches the list offers: the admin narrows the search rather than scrolling. */
const shownMatches = 10;

/** One search of the admin list of the kind, by the admin list's own `?q=`. */
async function searchSubjects(type: SubjectType, text: string): Promise<Subject[]> {
  const query = `q=${encodeURIComponent(text)}&limit=${shownMatches}`;
  if (type === 'user') {
    const { users } = await api<UserList>(`/api/users?${query}`);
    return users.map((user) => ({ id: user.id, label: user.name ? `${user.email} (${user.name})` : user.email }));
  }
  if (type === 'key') {
    const { keys } = await api<KeyList>(`/v1/admin/keys?${query}`);
    return keys.map((key) => ({ id: key.id, label: `${key.name} (${key.prefix}…, ${key.environment})` }));
  }
  const { projects } = await api<{ projects: Array<{ id: string; name: string; ownerEmail: string }> }>(
    `/v1/admin/projects?${query}`,
  );
  return projects.map((project) => ({ id: project.id, label: `${project.name} (${project.ownerEmail})` }));
}

/**
 * Finds a user (by email), key (by name or prefix) or project (by name) for a plan assignment: an editable
 * combobox (ARIA 1.2) whose list shows the admin list's matches. Arrow keys move through them, Enter picks
 * one, Escape closes the list; typing again clears the choice.
 */
export function SubjectPicker({
  type,
  value,
  onChange,
}: {
  type: SubjectType;
  value: Subject | null;
  onChange(next: Subject | null): void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const listId = useId();
  const inputId = useId();
  const matches = useQuery({
    queryKey: ['admin-plan-subjects', type, text.trim()],
    queryFn: () => searchSubjects(type, text.trim()),
    enabled: open,
    staleTime: 10_000,
  });
  const options = matches.data ?? [];
  const optionId = (index: number) => `${listId}-option-${index}`;

  const choose = (subject: Subject) => {
    onChange(subject);
    setText(subject.label);
    setOpen(false);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) {
        setOpen(true);
        setActive(0);
        return;
      }
      if (options.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current) => (current + step + options.length) % options.length);
    } else if (event.key === 'Enter' && open) {
      // Enter picks the highlighted match instead of submitting the form.
      event.preventDefault();
      const highlighted = options[active];
      if (highlighted) choose(highlighted);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
    }
  };

  const expanded = open && (options.length > 0 || matches.isFetched);
  return (
    <div className="relative">
      <label htmlFor={inputId} className="mb-1 block text-sm font-medium">
        {t('admin.plans.subject')}
      </label>
      <input
        id={inputId}
        className={inputClass}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && options[active] ? optionId(active) : undefined}
        aria-description={value ? t('admin.plans.chosen', { label: value.label }) : undefined}
        placeholder={t(`admin.plans.subjectSearch.${type}`)}
        autoComplete="off"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
          setActive(0);
          if (value) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      <div
        id={listId}
        role="listbox"
        aria-label={t(`admin.plans.subjectSearch.${type}`)}
        hidden={!expanded}
        className="absolute z-10 mt-1 max-h-64 w-full overflow-auto rounded border border-slate-200 bg-white text-sm shadow dark:border-slate-700 dark:bg-slate-900"
      >
        {options.map((option, index) => (
          <div
            key={option.id}
            id={optionId(index)}
            role="option"
            // Focus stays in the input (aria-activedescendant); -1 keeps options out of the tab order.
            tabIndex={-1}
            aria-selected={index === active}
            data-subject={option.id}
            className={`cursor-pointer px-2 py-1 ${index === active ? 'bg-slate-100 dark:bg-slate-800' : ''}`}
            // Chosen on mouse down: the input's blur (which closes the list) would come before a click.
            onMouseDown={(event) => {
              event.preventDefault();
              choose(option);
            }}
          >
            {option.label}
          </div>
        ))}
        {matches.isFetched && options.length === 0 && (
          <div className="px-2 py-1 text-slate-500">{t('admin.plans.noMatches')}</div>
        )}
      </div>
      {open && matches.isFetching && (
        <p role="status" className="sr-only">
          {t('admin.plans.searching')}
        </p>
      )}
    </div>
  );
}
