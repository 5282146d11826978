import type {
  AdminAppSummary,
  AppList,
  AppSummary,
  FocusMode,
  ProjectApp,
  ProjectAppList,
  SkillCallResult,
  UpdateProjectAppRequest,
} from '@switchyard/api-schemas';
import { useQuery } from '@tanstack/react-query';
import { api } from './api';
import { whenPainted } from './first-paint';
import { useCurrentProject } from './projects';

export type { AppSummary, FocusMode, ProjectApp, SkillCallResult, UpdateProjectAppRequest };

/** The apps and focus modes a signed-in user may chat with (GET /api/apps: GET /v1/apps for a session). */
export const appsQueryKey = ['apps'] as const;
/** `project`: that project's own apps too (they are offered only in its chats). */
export function fetchApps(project: string | null = null): Promise<AppSummary[]> {
  return api<AppList>(project ? `/api/apps?project=${encodeURIComponent(project)}` : '/api/apps').then(
    (body) => body.apps,
  );
}

/** The apps of the chosen workspace (the project switcher's): personal chats get the global ones only. */
export function useWorkspaceApps() {
  const project = useCurrentProject();
  return useQuery({
    queryKey: [...appsQueryKey, project ?? ''],
    queryFn: whenPainted(() => fetchApps(project)),
    staleTime: 60_000,
    retry: false,
  });
}

/** A focus mode as the chat names it: `<app>/<mode>`. */
export interface FocusChoice {
  value: string;
  label: string;
  description: string;
  /** The model the mode prefers, used when none was picked. */
  model: string | null;
}

export function focusChoices(apps: readonly AppSummary[]): FocusChoice[] {
  return apps.flatMap((app) =>
    app.focus_modes.map((mode) => ({
      value: `${app.id}/${mode.id}`,
      label: `${app.name}: ${mode.name}`,
      description: mode.description,
      model: mode.model,
    })),
  );
}

/**
 * An app as the admin console lists it (GET /v1/admin/apps). Where it comes from, whether it is
 * enabled and which roles may use it arrive with run-time app administration; until a server
 * sends them they are absent (config apps are then enabled).
 */
export type AdminApp = AdminAppSummary & {
  source?: 'builtin' | 'config' | 'admin';
  enabled?: boolean;
  roles?: string[] | null;
};

/** GET /v1/admin/apps/{id}/health */
export interface AppHealth {
  id: string;
  status: 'ok' | 'unavailable';
  latency_ms: number;
  skills: number;
  error?: string;
}

/** POST /v1/admin/apps: a remote app (stdio MCP servers only from the config file). */
export interface NewApp {
  id: string;
  type: 'mcp' | 'http';
  name?: string;
  description?: string;
  url?: string;
  base_url?: string;
  secret?: string;
  headers?: Record<string, string>;
  environments?: Array<'prod' | 'dev'>;
  timeout_ms?: number;
}

const appPath = (id: string) => `/v1/admin/apps/${encodeURIComponent(id)}`;

/** An app added to a project by one of its admins (POST /api/apps): no environments, every member uses it. */
export const createProjectApp = ({ environments: _environments, ...app }: NewApp, projectId: string) =>
  api<ProjectApp>('/api/apps', { method: 'POST', json: { ...app, projectId } });

const projectAppPath = (id: string) => `/api/apps/${encodeURIComponent(id)}`;

/** A project's own apps (the Projects page): members list them, its admins and owner change them. */
export const projectApps = {
  queryKey: (projectId: string) => ['projects', projectId, 'apps'] as const,
  list: (projectId: string) =>
    api<ProjectAppList>(`/api/projects/${encodeURIComponent(projectId)}/apps`).then((body) => body.apps),
  create: createProjectApp,
  update: (id: string, changes: UpdateProjectAppRequest) =>
    api<ProjectApp>(projectAppPath(id), { method: 'PATCH', json: changes }),
  remove: (id: string) => api<void>(projectAppPath(id), { method: 'DELETE' }),
};

export const adminApps = {
  queryKey: ['admin-apps'] as const,
  list: () => api<{ apps: AdminApp[] }>('/v1/admin/apps').then((body) => body.apps),
  create: (app: NewApp) => api<AdminApp>('/v1/admin/apps', { method: 'POST', json: app }),
  setEnabled: (id: string, enabled: boolean) => api<AdminApp>(appPath(id), { method: 'PATCH', json: { enabled } }),
  remove: (id: string) => api<void>(appPath(id), { method: 'DELETE' }),
  health: (id: string) => api<AppHealth>(`${appPath(id)}/health`),
  test: (id: string, skill: string, input: Record<string, unknown>) =>
    api<SkillCallResult>(`${appPath(id)}/skills/${encodeURIComponent(skill)}/test`, {
      method: 'POST',
      json: { input },
    }),
};
