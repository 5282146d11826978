import type { ModelEntry, ProviderEntry, SwitchyardConfig } from '@switchyard/core';
import { createProvider, type ProviderAdapter, type ProviderConfig } from '@switchyard/providers';
import type { Logger } from 'pino';

export interface ModelRoute {
  /** The public id clients send as `model`. */
  id: string;
  label: string | null;
  description: string | null;
  providerId: string;
  providerType: ProviderConfig['type'];
  upstreamModel: string;
  adapter: ProviderAdapter;
  source: 'config' | 'builtin' | 'autodetected';
}

export interface ModelRegistry {
  resolve(id: string): ModelRoute | undefined;
  list(): ModelRoute[];
  readonly defaultModelId: string;
  /** Looks for a local Ollama once now and then periodically; never blocks startup. */
  startAutodetect(): void;
  close(): Promise<void>;
}

/** Labels seed 000 gives the two models it runs on Ollama. */
const knownOllamaLabels: Readonly<Record<string, { label: string; description: string }>> = {
  'llama3.1:8b': { label: 'Fast', description: 'Fast responses' },
  'qwen2.5:14b-instruct': { label: 'Smart', description: 'Complex reasoning' },
};

const echoEntry: ModelEntry = {
  id: 'echo',
  provider: 'echo',
  label: 'Test',
  description: 'Test model: streams your last message back word by word',
};

function toProviderConfig(entry: ProviderEntry): ProviderConfig {
  const config: ProviderConfig = { id: entry.id, type: entry.type, baseURL: entry.baseURL ?? '' };
  if (entry.apiKey !== undefined) config.apiKey = entry.apiKey;
  if (entry.headers !== undefined) config.headers = entry.headers;
  if (entry.timeoutMs !== undefined) config.timeoutMs = entry.timeoutMs;
  if (entry.echoDelayMs !== undefined) config.echoDelayMs = entry.echoDelayMs;
  return config;
}

export function createModelRegistry(config: SwitchyardConfig, logger: Logger): ModelRegistry {
  const adapters = new Map<string, ProviderAdapter>();
  const providerEntries = new Map<string, ProviderEntry>();
  for (const entry of config.providers) {
    providerEntries.set(entry.id, entry);
    adapters.set(entry.id, createProvider(toProviderConfig(entry)));
  }
  if (!adapters.has('echo')) {
    adapters.set('echo', createProvider({ id: 'echo', type: 'echo', baseURL: '' }));
    providerEntries.set('echo', { id: 'echo', type: 'echo' });
  }

  const configured = new Map<string, ModelRoute>();
  const addRoute = (routes: Map<string, ModelRoute>, entry: ModelEntry, source: ModelRoute['source']) => {
    const adapter = adapters.get(entry.provider);
    const provider = providerEntries.get(entry.provider);
    if (!adapter || !provider) return;
    routes.set(entry.id, {
      id: entry.id,
      label: entry.label ?? null,
      description: entry.description ?? null,
      providerId: entry.provider,
      providerType: provider.type,
      upstreamModel: entry.upstreamModel ?? entry.id,
      adapter,
      source,
    });
  };
  for (const entry of config.models) addRoute(configured, entry, 'config');
  if (!configured.has('echo')) addRoute(configured, echoEntry, 'builtin');

  let detected = new Map<string, ModelRoute>();
  let detectTimer: NodeJS.Timeout | null = null;
  const ollamaConfigured = config.providers.some(
    (provider) => provider.type === 'ollama' && provider.baseURL?.replace(/\/$/, '') === config.ollama.baseURL,
  );
  const autodetectAdapter =
    config.ollama.autodetect && !ollamaConfigured
      ? createProvider({ id: 'ollama', type: 'ollama', baseURL: config.ollama.baseURL, timeoutMs: 60_000 })
      : null;

  async function detectOllama(): Promise<void> {
    if (!autodetectAdapter) return;
    try {
      const models = await autodetectAdapter.listModels({ signal: AbortSignal.timeout(1500) });
      const next = new Map<string, ModelRoute>();
      for (const model of models) {
        if (configured.has(model.id)) continue;
        const known = knownOllamaLabels[model.id];
        next.set(model.id, {
          id: model.id,
          label: known?.label ?? null,
          description: known?.description ?? `Local Ollama model ${model.id}`,
          providerId: 'ollama',
          providerType: 'ollama',
          upstreamModel: model.id,
          adapter: autodetectAdapter,
          source: 'autodetected',
        });
      }
      if (next.size !== detected.size) logger.info({ models: [...next.keys()] }, 'local Ollama models detected');
      detected = next;
    } catch {
      if (detected.size > 0) logger.warn('local Ollama no longer answers; its models are hidden');
      detected = new Map();
    }
  }

  const defaultModelId = config.defaultModel ?? config.models[0]?.id ?? 'echo';

  return {
    resolve: (id) => configured.get(id) ?? detected.get(id),
    list: () => [...configured.values(), ...detected.values()],
    defaultModelId,
    startAutodetect() {
      if (!autodetectAdapter || detectTimer) return;
      void detectOllama();
      detectTimer = setInterval(() => void detectOllama(), 30_000);
      detectTimer.unref();
    },
    async close() {
      if (detectTimer) clearInterval(detectTimer);
      await Promise.allSettled(
        [...adapters.values(), ...(autodetectAdapter ? [autodetectAdapter] : [])].map((a) => a.close()),
      );
    },
  };
}
