import type { OpenAIModel } from '@switchyard/api-schemas';
import { type Environment, listSettingEntries } from '@switchyard/core';
import type { ModelRegistry, ModelRoute } from '@switchyard/routing';
import type { AudioModels } from '../audio/audio-models';
import type { ImageModels } from '../images/image-models';
import type { SettingsStore } from '../settings/settings-store';

/** What deciding model access needs: the catalog and the run-time setting that turns models off. */
export interface ModelAccess {
  readonly models: Pick<ModelRegistry, 'resolve' | 'list'>;
  readonly settings: Pick<SettingsStore, 'current'>;
}

const emptySet: ReadonlySet<string> = new Set();
const parsed = new Map<string, ReadonlySet<string>>();
const settingKeys: Record<Environment, string> = { prod: 'models.disabled.prod', dev: 'models.disabled.dev' };

/** The ids and aliases the setting `models.disabled.<env>` turns off (parsed once per distinct value). */
function disabledModels(access: ModelAccess, environment: Environment): ReadonlySet<string> {
  const value = String(access.settings.current().get(settingKeys[environment]));
  if (value === '') return emptySet;
  let ids = parsed.get(value);
  if (!ids) {
    if (parsed.size >= 16) parsed.clear();
    ids = new Set(listSettingEntries(value));
    parsed.set(value, ids);
  }
  return ids;
}

/**
 * Whether callers in this environment may use the model: the config file's `environments`
 * and the run-time setting `models.disabled.<env>` (by id or any alias).
 */
export function modelAllowed(access: ModelAccess, model: ModelRoute, environment: Environment): boolean {
  if (!model.environments.includes(environment)) return false;
  const disabled = disabledModels(access, environment);
  if (disabled.size === 0) return true;
  return !disabled.has(model.id) && !model.aliases.some((alias) => disabled.has(alias));
}

/** The models a caller in this environment may use. */
export function visibleModels(access: ModelAccess, environment: Environment): ModelRoute[] {
  return access.models.list().filter((model) => modelAllowed(access, model, environment));
}

/** The image and audio models GET /v1/models lists next to the chat and embedding ones. */
export interface OtherModelSources {
  readonly imageModels: Pick<ImageModels, 'list'>;
  readonly audioModels: Pick<AudioModels, 'list'>;
}

/**
 * Every model this environment offers, as GET /v1/models gives them (and `switchyard models list`).
 * `kind` is Switchyard's addition to OpenAI's model object (clients ignore fields they do not know),
 * so a client can pick a model that fits: chat, embedding, image, transcription or speech.
 */
export function listAllModels(
  sources: ModelAccess & OtherModelSources,
  environment: Environment,
  created: number,
): OpenAIModel[] {
  const chatAndEmbedding = visibleModels(sources, environment).map((model) => ({
    id: model.id,
    object: 'model' as const,
    created,
    owned_by: model.providerId,
    kind: model.kind,
  }));
  const images = sources.imageModels.list().map((model) => ({
    id: model.id,
    object: 'model' as const,
    created,
    owned_by: model.type,
    kind: 'image' as const,
  }));
  const audio = sources.audioModels
    .list()
    .filter((model) => model.environments.includes(environment))
    .map((model) => ({ id: model.id, object: 'model' as const, created, owned_by: model.type, kind: model.kind }));
  return [...chatAndEmbedding, ...images, ...audio];
}
