import { type AudioModelEntry, type Environment, type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import { type AudioProvider, type AudioProviderConfig, createAudioProvider } from '@switchyard/providers';

export type AudioModelKind = 'transcription' | 'speech';

export interface AudioModel {
  id: string;
  label: string | null;
  kind: AudioModelKind;
  type: AudioModelEntry['type'];
  environments: readonly Environment[];
  provider: AudioProvider;
}

export interface AudioModels {
  /** The model a request names (or the default of the kind), usable in this environment, or a 4xx saying why not. */
  resolve(id: string | undefined, kind: AudioModelKind, environment: Environment): AudioModel;
  list(): AudioModel[];
  defaultId(kind: AudioModelKind): string | null;
  close(): Promise<void>;
}

function toProviderConfig(entry: AudioModelEntry): AudioProviderConfig {
  const config: AudioProviderConfig = {
    id: entry.id,
    type: entry.type,
    baseURL: entry.baseURL,
    model: entry.model ?? entry.id,
  };
  if (entry.apiKey !== undefined) config.apiKey = entry.apiKey;
  if (entry.headers !== undefined) config.headers = entry.headers;
  if (entry.timeoutMs !== undefined) config.timeoutMs = entry.timeoutMs;
  if (entry.proxy !== undefined) config.proxy = entry.proxy;
  return config;
}

const kindNames: Record<AudioModelKind, string> = { transcription: 'transcription', speech: 'speech (text to speech)' };

/** The `audioModels` of the config file; the first of each kind is its default. */
export function createAudioModels(config: Pick<SwitchyardConfig, 'audioModels'>): AudioModels {
  const models = new Map<string, AudioModel>();
  for (const entry of config.audioModels) {
    models.set(entry.id, {
      id: entry.id,
      label: entry.label ?? null,
      kind: entry.kind ?? 'transcription',
      type: entry.type,
      environments: entry.environments ?? ['prod', 'dev'],
      provider: createAudioProvider(toProviderConfig(entry)),
    });
  }
  const defaultId = (kind: AudioModelKind) => [...models.values()].find((model) => model.kind === kind)?.id ?? null;
  return {
    defaultId,
    resolve(id, kind, environment) {
      const wanted = id ?? defaultId(kind);
      if (wanted === null) {
        throw new SwitchyardError(
          'SY_ERR_MODEL_NOT_FOUND',
          `No ${kindNames[kind]} model is configured (audioModels in the config file; see docs/voice.md)`,
          { details: { param: 'model' } },
        );
      }
      const model = models.get(wanted);
      // A model of another environment is indistinguishable from one that does not exist.
      if (!model?.environments.includes(environment)) {
        throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The audio model '${wanted}' does not exist`, {
          details: { param: 'model' },
        });
      }
      if (model.kind !== kind) {
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `The audio model '${wanted}' is a ${kindNames[model.kind]} model; this endpoint needs a ${kindNames[kind]} model`,
          { details: { param: 'model' } },
        );
      }
      return model;
    },
    list: () => [...models.values()],
    async close() {
      await Promise.allSettled([...models.values()].map((model) => model.provider.close()));
    },
  };
}
