import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ImageModelEntry, type SwitchyardConfig, SwitchyardError } from '@switchyard/core';
import {
  createImageProvider,
  createPlaceholderImageProvider,
  type ImageProvider,
  type ImageProviderConfig,
} from '@switchyard/providers';

export interface ImageModel {
  id: string;
  label: string | null;
  type: ImageModelEntry['type'] | 'builtin';
  provider: ImageProvider;
}

export interface ImageModels {
  resolve(id: string | undefined): ImageModel;
  list(): ImageModel[];
  readonly defaultId: string;
  close(): Promise<void>;
}

function toProviderConfig(entry: ImageModelEntry, configDirectory: string): ImageProviderConfig {
  const config: ImageProviderConfig = { id: entry.id, type: entry.type, baseURL: entry.baseURL };
  if (entry.apiKey !== undefined) config.apiKey = entry.apiKey;
  if (entry.headers !== undefined) config.headers = entry.headers;
  if (entry.model !== undefined) config.model = entry.model;
  if (entry.timeoutMs !== undefined) config.timeoutMs = entry.timeoutMs;
  if (entry.proxy !== undefined) config.proxy = entry.proxy;
  if (entry.pollIntervalMs !== undefined) config.pollIntervalMs = entry.pollIntervalMs;
  if (entry.workflowFile !== undefined) {
    const path = resolve(configDirectory, entry.workflowFile);
    try {
      config.workflow = JSON.parse(readFileSync(path, 'utf8')) as object;
    } catch (error) {
      throw new SwitchyardError('SY_ERR_VALIDATION', `image model '${entry.id}': cannot read workflow ${path}`, {
        cause: error,
      });
    }
  }
  return config;
}

/** The configured image models, plus the built-in `test-image` (a solid-colour PNG, no GPU needed). */
export function createImageModels(config: SwitchyardConfig): ImageModels {
  const configDirectory = config.configPath ? resolve(config.configPath, '..') : process.cwd();
  const models = new Map<string, ImageModel>();
  for (const entry of config.imageModels) {
    models.set(entry.id, {
      id: entry.id,
      label: entry.label ?? null,
      type: entry.type,
      provider: createImageProvider(toProviderConfig(entry, configDirectory)),
    });
  }
  if (!models.has('test-image')) {
    models.set('test-image', {
      id: 'test-image',
      label: 'Test',
      type: 'builtin',
      provider: createPlaceholderImageProvider(),
    });
  }
  const defaultId = config.defaultImageModel ?? 'test-image';
  return {
    defaultId,
    resolve(id) {
      const model = models.get(id ?? defaultId);
      if (!model) {
        throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The image model '${id}' does not exist`, {
          details: { param: 'model' },
        });
      }
      return model;
    },
    list: () => [...models.values()],
    async close() {
      await Promise.allSettled([...models.values()].map((model) => model.provider.close()));
    },
  };
}
