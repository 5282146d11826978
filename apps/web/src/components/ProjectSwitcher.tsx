import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { whenPainted } from '../lib/first-paint';
import { useTranslation } from '../lib/i18n';
import { listProjects, projectKeys, setCurrentProject, useCurrentProject } from '../lib/projects';
import { selectClass } from './ui';

/**
 * Personal or one of your projects: the chat sidebar, templates and new chats follow the choice. Switching
 * drops the cached lists so they are read again in the new scope.
 */
export function ProjectSwitcher() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const current = useCurrentProject();
  const projects = useQuery({ queryKey: projectKeys.mine, queryFn: whenPainted(listProjects), staleTime: 60_000 });
  const list = projects.data ?? [];

  // A project you left (or that was deleted) is no longer offered: go back to personal.
  useEffect(() => {
    if (current && projects.isSuccess && !list.some((project) => project.id === current)) setCurrentProject(null);
  }, [current, projects.isSuccess, list]);

  const choose = (value: string) => {
    setCurrentProject(value === '' ? null : value);
    void client.resetQueries({ queryKey: ['chats'] });
    void client.resetQueries({ queryKey: ['templates'] });
  };

  return (
    <label className="flex items-center gap-1 text-sm">
      <span className="sr-only">{t('projectSwitcher.workspace')}</span>
      <select
        className={`${selectClass} max-w-[9rem] sm:max-w-[14rem]`}
        value={current ?? ''}
        onChange={(event) => choose(event.target.value)}
        aria-label={t('projectSwitcher.label')}
      >
        <option value="">{t('projectSwitcher.personal')}</option>
        {list.map((project) => (
          <option key={project.id} value={project.id}>
            {project.name}
            {project.role === 'viewer' ? ` ${t('projectSwitcher.viewOnly')}` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
