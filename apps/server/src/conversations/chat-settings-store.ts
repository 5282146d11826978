import { randomUUID } from 'node:crypto';
import {
  type AssistantChanges,
  type AssistantRow,
  type ChatPresetChanges,
  type ChatPresetRow,
  createAssistantRepository,
  createChatPresetRepository,
  createFileRepository,
  type StoredChatParameters,
} from '@switchyard/db';
import { notFound, type Owner, type Page } from '../edge/owner';

/** Parameters as sent, without the ones left out (JSON has no undefined to store). */
function parametersOf(parameters: StoredChatParameters | undefined): StoredChatParameters {
  return Object.fromEntries(Object.entries(parameters ?? {}).filter(([, value]) => value !== undefined));
}

export interface PresetFields {
  name?: string;
  systemPrompt?: string | null;
  model?: string | null;
  parameters?: StoredChatParameters;
}

export async function createPreset(owner: Owner, fields: PresetFields & { name: string }): Promise<ChatPresetRow> {
  return createChatPresetRepository(owner.db).create({
    id: `pre_${randomUUID().replaceAll('-', '')}`,
    userId: owner.userId,
    name: fields.name,
    systemPrompt: fields.systemPrompt ?? null,
    model: fields.model ?? null,
    parameters: parametersOf(fields.parameters),
  });
}

export const listPresets = (owner: Owner, page: Page) =>
  createChatPresetRepository(owner.db).listForUser(owner.userId, page);

export async function requirePreset(owner: Owner, id: string): Promise<ChatPresetRow> {
  const row = await createChatPresetRepository(owner.db).findForUser(id, owner.userId);
  if (!row) throw notFound('preset');
  return row;
}

export async function updatePreset(owner: Owner, id: string, fields: PresetFields): Promise<ChatPresetRow> {
  const changes: ChatPresetChanges = { ...fields } as ChatPresetChanges;
  if (fields.parameters) changes.parameters = parametersOf(fields.parameters);
  const row = await createChatPresetRepository(owner.db).updateForUser(id, owner.userId, changes);
  if (!row) throw notFound('preset');
  return row;
}

export async function deletePreset(owner: Owner, id: string): Promise<void> {
  if (!(await createChatPresetRepository(owner.db).deleteForUser(id, owner.userId))) throw notFound('preset');
}

export interface AssistantFields {
  name?: string;
  description?: string | null;
  instructions?: string;
  model?: string | null;
  parameters?: StoredChatParameters;
  apps?: string[];
  files?: string[];
}

/** An assistant may only carry its owner's own files (another user's id reads as missing). */
async function checkFiles(owner: Owner, ids: readonly string[] | undefined): Promise<void> {
  if (!ids || ids.length === 0) return;
  const found = await createFileRepository(owner.db).findManyForUser(ids, owner.userId);
  const missing = ids.find((id) => !found.some((file) => file.id === id));
  if (missing) throw notFound(`file ${missing}`);
}

export async function createAssistant(
  owner: Owner,
  fields: AssistantFields & { name: string; instructions: string },
): Promise<AssistantRow> {
  await checkFiles(owner, fields.files);
  return createAssistantRepository(owner.db).create({
    id: `asst_${randomUUID().replaceAll('-', '')}`,
    userId: owner.userId,
    projectId: null,
    name: fields.name,
    description: fields.description ?? null,
    instructions: fields.instructions,
    model: fields.model ?? null,
    parameters: parametersOf(fields.parameters),
    apps: fields.apps ?? [],
    files: fields.files ?? [],
  });
}

export const listAssistants = (owner: Owner, page: Page) =>
  createAssistantRepository(owner.db).listForUser(owner.userId, page);

export async function requireAssistantOf(owner: Owner, id: string): Promise<AssistantRow> {
  const row = await createAssistantRepository(owner.db).findForUser(id, owner.userId);
  if (!row) throw notFound('assistant');
  return row;
}

export async function updateAssistant(owner: Owner, id: string, fields: AssistantFields): Promise<AssistantRow> {
  await checkFiles(owner, fields.files);
  const changes: AssistantChanges = { ...fields } as AssistantChanges;
  if (fields.parameters) changes.parameters = parametersOf(fields.parameters);
  const row = await createAssistantRepository(owner.db).updateForUser(id, owner.userId, changes);
  if (!row) throw notFound('assistant');
  return row;
}

export async function deleteAssistant(owner: Owner, id: string): Promise<void> {
  if (!(await createAssistantRepository(owner.db).deleteForUser(id, owner.userId))) throw notFound('assistant');
}
