import { useSyncExternalStore } from 'react';
import { api } from './api';
import { projectStorageKey } from './early-requests';

export type ProjectRole = 'owner' | 'admin' | 'member' | 'viewer';

/** A project as GET /v1/projects lists it: with your role. */
export interface Project {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  role: ProjectRole;
  memberCount?: number;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectMember {
  userId: string;
  name: string;
  email: string;
  role: ProjectRole;
  createdAt: string;
}

export interface ProjectInvitation {
  id: string;
  projectId: string;
  email: string;
  role: Exclude<ProjectRole, 'owner'>;
  state: 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';
  createdAt: string;
  expiresAt: string;
}

export interface InvitationPreview {
  projectId: string;
  projectName: string;
  inviterName: string | null;
  email: string;
  role: Exclude<ProjectRole, 'owner'>;
  state: ProjectInvitation['state'];
  expiresAt: string;
}

export const projectKeys = {
  mine: ['projects', 'mine'] as const,
  members: (id: string) => ['projects', id, 'members'] as const,
  invitations: (id: string) => ['projects', id, 'invitations'] as const,
};

const path = (id: string) => `/v1/projects/${encodeURIComponent(id)}`;

export const listProjects = async () => (await api<{ projects: Project[] }>('/v1/projects')).projects;
export const createProject = (fields: { name: string; description?: string | null }) =>
  api<Project>('/v1/projects', { method: 'POST', json: fields });
export const deleteProject = (id: string) => api<void>(path(id), { method: 'DELETE' });
export const listMembers = async (id: string) =>
  (await api<{ members: ProjectMember[] }>(`${path(id)}/members`)).members;
export const addMember = (id: string, email: string, role: ProjectRole) =>
  api<{ members: ProjectMember[] }>(`${path(id)}/members`, { method: 'POST', json: { email, role } });
export const changeMemberRole = (id: string, userId: string, role: ProjectRole) =>
  api<{ members: ProjectMember[] }>(`${path(id)}/members/${encodeURIComponent(userId)}`, {
    method: 'PATCH',
    json: { role },
  });
export const removeMember = (id: string, userId: string) =>
  api<void>(`${path(id)}/members/${encodeURIComponent(userId)}`, { method: 'DELETE' });
export const transferOwnership = (id: string, userId: string) =>
  api<{ members: ProjectMember[] }>(`${path(id)}/transfer`, { method: 'POST', json: { userId } });
export const listInvitations = async (id: string) =>
  (await api<{ invitations: ProjectInvitation[] }>(`${path(id)}/invitations`)).invitations;
export const invite = (id: string, email: string, role: ProjectRole) =>
  api<ProjectInvitation>(`${path(id)}/invitations`, { method: 'POST', json: { email, role } });
export const revokeInvitation = (id: string, invitationId: string) =>
  api<ProjectInvitation>(`${path(id)}/invitations/${encodeURIComponent(invitationId)}`, { method: 'DELETE' });
export const previewInvitation = (token: string) =>
  api<InvitationPreview>(`/v1/invitations/${encodeURIComponent(token)}`);
export const acceptInvitation = (token: string) =>
  api<{ state: string; project: Project }>(`/v1/invitations/${encodeURIComponent(token)}/accept`, { method: 'POST' });
export const declineInvitation = (token: string) =>
  api<{ state: string }>(`/v1/invitations/${encodeURIComponent(token)}/decline`, { method: 'POST' });

/**
 * The project the web app works in (null: personal). Kept in localStorage so a reload stays in it; the
 * sidebar's lists, templates and new chats follow it.
 */
const storageKey = projectStorageKey;
const listeners = new Set<() => void>();
let current: string | null = readStored();

function readStored(): string | null {
  try {
    return globalThis.localStorage?.getItem(storageKey) ?? null;
  } catch {
    return null;
  }
}

export function currentProjectId(): string | null {
  return current;
}

export function setCurrentProject(id: string | null): void {
  if (id === current) return;
  current = id;
  try {
    if (id === null) globalThis.localStorage?.removeItem(storageKey);
    else globalThis.localStorage?.setItem(storageKey, id);
  } catch {
    // Private mode without storage: the choice lasts until the tab closes.
  }
  for (const listener of listeners) listener();
}

/** Calls `listener` whenever the chosen project changes; returns the unsubscribe. */
export function onProjectChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useCurrentProject(): string | null {
  return useSyncExternalStore(onProjectChange, currentProjectId, currentProjectId);
}

/** `&project=<id>` for list URLs when a project is chosen, else nothing. */
export function projectParam(prefix: '?' | '&' = '&'): string {
  return current ? `${prefix}project=${encodeURIComponent(current)}` : '';
}
