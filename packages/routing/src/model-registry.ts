import type { DeploymentEntry, Environment, ModelEntry, ProviderEntry, SwitchyardConfig } from '@switchyard/core';
import { type BalanceStrategy, upstreamKeyId } from '@switchyard/core';
import { createProvider, type ProviderAdapter, type ProviderConfig } from '@switchyard/providers';
import type { RoutingLogger } from './observer';

/** One configured upstream: an adapter per upstream key (one when it has a single key or none). */
export interface ProviderRuntime {
  id: string;
  type: ProviderConfig['type'];
  adapters: ProviderAdapter[];
  /** Hashes of the upstream keys, parallel to `adapters`; empty when the provider has no key pool. */
  keyIds: string[];
  keyRpm: number;
  keyCooldownMs: number;
  onKeysExhausted: 'wait' | 'fallback';
}

export interface Deployment {
  /** `provider/upstreamModel`, as reported in X-Switchyard-Model. */
  id: string;
  provider: ProviderRuntime;
  upstreamModel: string;
  weight: number;
}

export interface ModelRoute {
  /** The public id clients send as `model`. */
  id: string;
  aliases: string[];
  label: string | null;
  description: string | null;
  contextWindow: number | null;
  /** `chat` models are offered for chat (and /v1/completions); `embedding` and `moderation` ones only to their APIs. */
  kind: 'chat' | 'embedding' | 'moderation';
  /** Reads images (image content parts); from the config, or guessed from a detected Ollama model's name. */
  vision: boolean;
  environments: readonly Environment[];
  strategy: BalanceStrategy;
  deployments: Deployment[];
  fallbacks: string[];
  /** The first deployment's provider, shown in model lists. */
  providerId: string;
  source: 'config' | 'builtin' | 'autodetected';
}

export interface ModelRegistry {
  /** By id or alias. */
  resolve(id: string): ModelRoute | undefined;
  list(): ModelRoute[];
  readonly defaultModelId: string;
  /** Looks for a local Ollama once now and then periodically; never blocks startup. */
  startAutodetect(): void;
  /**
   * New credentials for configured providers (a secret rotated in Vault): each provider whose settings
   * changed gets new adapters in place, so every route using it sends the new key from its next call.
   * Returns the ids of the providers that changed.
   */
  updateProviders(entries: readonly ProviderEntry[]): string[];
  close(): Promise<void>;
}

/** Labels seed 000 gives the two models it runs on Ollama. */
const knownOllamaLabels: Readonly<Record<string, { label: string; description: string }>> = {
  'llama3.1:8b': { label: 'Fast', description: 'Fast responses' },
  'qwen2.5:14b-instruct': { label: 'Smart', description: 'Complex reasoning' },
};

/** Ollama's vision models (llava, llama3.2-vision, moondream, qwen2.5vl, gemma3, minicpm-v, ...) by name. */
const ollamaVisionNames =
  /llava|vision|moondream|qwen2\.5vl|qwen2-vl|gemma3|minicpm-v|granite3\.2-vision|mistral-small3\.1/i;

const echoEntry: ModelEntry = {
  id: 'echo',
  provider: 'echo',
  label: 'Test',
  description: 'Test model: streams your last message back word by word',
};

const allEnvironments: readonly Environment[] = ['prod', 'dev'];

function toProviderConfig(entry: ProviderEntry, apiKey: string | undefined): ProviderConfig {
  const config: ProviderConfig = { id: entry.id, type: entry.type, baseURL: entry.baseURL ?? '' };
  if (apiKey !== undefined) config.apiKey = apiKey;
  if (entry.headers !== undefined) config.headers = entry.headers;
  if (entry.timeoutMs !== undefined) config.timeoutMs = entry.timeoutMs;
  if (entry.connectTimeoutMs !== undefined) config.connectTimeoutMs = entry.connectTimeoutMs;
  if (entry.firstTokenTimeoutMs !== undefined) config.firstTokenTimeoutMs = entry.firstTokenTimeoutMs;
  if (entry.idleTimeoutMs !== undefined) config.idleTimeoutMs = entry.idleTimeoutMs;
  if (entry.totalTimeoutMs !== undefined) config.totalTimeoutMs = entry.totalTimeoutMs;
  if (entry.proxy !== undefined) config.proxy = entry.proxy;
  if (entry.echoDelayMs !== undefined) config.echoDelayMs = entry.echoDelayMs;
  return config;
}

function createProviderRuntime(entry: ProviderEntry): ProviderRuntime {
  const keys = entry.apiKeys ?? [];
  return {
    id: entry.id,
    type: entry.type,
    adapters:
      keys.length > 0
        ? keys.map((key) => createProvider(toProviderConfig(entry, key)))
        : [createProvider(toProviderConfig(entry, entry.apiKey))],
    keyIds: keys.map(upstreamKeyId),
    keyRpm: entry.keyRpm ?? Number.MAX_SAFE_INTEGER,
    keyCooldownMs: entry.keyCooldownMs ?? 60_000,
    onKeysExhausted: entry.onKeysExhausted ?? 'fallback',
  };
}

export function createModelRegistry(config: SwitchyardConfig, logger: RoutingLogger): ModelRegistry {
  const providers = new Map<string, ProviderRuntime>();
  const entries = new Map<string, string>();
  for (const entry of config.providers) {
    providers.set(entry.id, createProviderRuntime(entry));
    entries.set(entry.id, JSON.stringify(entry));
  }
  const retired = new Set<ProviderAdapter>();
  if (!providers.has('echo')) providers.set('echo', createProviderRuntime({ id: 'echo', type: 'echo' }));

  const deploymentOf = (model: ModelEntry, entry: DeploymentEntry): Deployment | null => {
    const provider = providers.get(entry.provider);
    if (!provider) return null;
    const upstreamModel = entry.upstreamModel ?? model.upstreamModel ?? model.id;
    return { id: `${provider.id}/${upstreamModel}`, provider, upstreamModel, weight: entry.weight ?? 1 };
  };

  const toRoute = (model: ModelEntry, source: ModelRoute['source']): ModelRoute => {
    const entries: DeploymentEntry[] = model.deployments ?? [
      { provider: model.provider ?? 'echo', ...(model.upstreamModel ? { upstreamModel: model.upstreamModel } : {}) },
    ];
    const deployments = entries
      .map((entry) => deploymentOf(model, entry))
      .filter((deployment): deployment is Deployment => deployment !== null);
    return {
      id: model.id,
      aliases: model.aliases ?? [],
      label: model.label ?? null,
      description: model.description ?? null,
      contextWindow: model.contextWindow ?? null,
      kind: model.kind ?? 'chat',
      vision: model.vision ?? false,
      environments: model.environments ?? allEnvironments,
      strategy: model.loadBalancing ?? 'weighted',
      deployments,
      fallbacks: model.fallbacks ?? [],
      providerId: deployments[0]?.provider.id ?? 'echo',
      source,
    };
  };

  const configured = new Map<string, ModelRoute>();
  const byName = new Map<string, ModelRoute>();
  const addConfigured = (route: ModelRoute) => {
    configured.set(route.id, route);
    for (const name of [route.id, ...route.aliases]) byName.set(name, route);
  };
  for (const model of config.models) addConfigured(toRoute(model, 'config'));
  if (!configured.has('echo')) addConfigured(toRoute(echoEntry, 'builtin'));

  let detected = new Map<string, ModelRoute>();
  let detectTimer: NodeJS.Timeout | null = null;
  const ollamaConfigured = config.providers.some(
    (provider) => provider.type === 'ollama' && provider.baseURL?.replace(/\/$/, '') === config.ollama.baseURL,
  );
  const autodetectProvider =
    config.ollama.autodetect && !ollamaConfigured
      ? createProviderRuntime({ id: 'ollama', type: 'ollama', baseURL: config.ollama.baseURL, timeoutMs: 300_000 })
      : null;

  async function detectOllama(): Promise<void> {
    const adapter = autodetectProvider?.adapters[0];
    if (!autodetectProvider || !adapter) return;
    try {
      const models = await adapter.listModels({ signal: AbortSignal.timeout(1500) });
      const next = new Map<string, ModelRoute>();
      for (const model of models) {
        if (byName.has(model.id)) continue;
        const known = knownOllamaLabels[model.id];
        next.set(model.id, {
          id: model.id,
          aliases: [],
          label: known?.label ?? null,
          description: known?.description ?? `Local Ollama model ${model.id}`,
          contextWindow: null,
          // Ollama's embedding models (nomic-embed-text, mxbai-embed-large, ...) say so in their names.
          kind: /embed/i.test(model.id) ? 'embedding' : 'chat',
          vision: ollamaVisionNames.test(model.id),
          environments: allEnvironments,
          strategy: 'weighted',
          deployments: [{ id: `ollama/${model.id}`, provider: autodetectProvider, upstreamModel: model.id, weight: 1 }],
          fallbacks: [],
          providerId: 'ollama',
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

  const defaultModelId = byName.get(config.defaultModel ?? '')?.id ?? config.models[0]?.id ?? 'echo';

  return {
    resolve: (id) => byName.get(id) ?? detected.get(id),
    list: () => [...configured.values(), ...detected.values()],
    defaultModelId,
    startAutodetect() {
      if (!autodetectProvider || detectTimer) return;
      void detectOllama();
      detectTimer = setInterval(() => void detectOllama(), 30_000);
      detectTimer.unref();
    },
    updateProviders(next) {
      const changed: string[] = [];
      for (const entry of next) {
        const runtime = providers.get(entry.id);
        const serialized = JSON.stringify(entry);
        if (!runtime || entries.get(entry.id) === serialized) continue;
        const old = runtime.adapters;
        // In place: routes hold this runtime object. Old adapters finish what they carry and close later.
        Object.assign(runtime, createProviderRuntime(entry));
        entries.set(entry.id, serialized);
        for (const adapter of old) retired.add(adapter);
        const closeLater = setTimeout(() => {
          for (const adapter of old) {
            retired.delete(adapter);
            void adapter.close();
          }
        }, 10 * 60_000);
        closeLater.unref();
        changed.push(entry.id);
      }
      return changed;
    },
    async close() {
      if (detectTimer) clearInterval(detectTimer);
      await Promise.allSettled([...retired].map((adapter) => adapter.close()));
      const all = [...providers.values(), ...(autodetectProvider ? [autodetectProvider] : [])];
      await Promise.allSettled(all.flatMap((provider) => provider.adapters.map((adapter) => adapter.close())));
    },
  };
}
