import {
  collectSecretValues,
  reloadConfig,
  type SecretScrubber,
  type SwitchyardConfig,
  usesVault,
} from '@switchyard/core';
import type { ModelRegistry } from '@switchyard/routing';
import type { Logger } from 'pino';

export interface SecretRefreshDependencies {
  readonly config: SwitchyardConfig;
  readonly models: Pick<ModelRegistry, 'updateProviders'>;
  readonly secrets: SecretScrubber;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Loads the configuration again with Vault read anew; default reloadConfig. */
  readonly reload?: (config: SwitchyardConfig) => Promise<SwitchyardConfig>;
}

export interface SecretRefresh {
  /** Reads Vault now; resolves with the providers whose credentials changed. */
  refreshNow(): Promise<string[]>;
  stop(): void;
}

/**
 * Secrets referenced as `${vault:…}` are read again every VAULT_REFRESH_SECONDS: a key rotated in
 * Vault reaches the providers without a restart, and both the old and the new value stay scrubbed
 * from logs. A failed read keeps the current values and says so (Vault down must not stop traffic).
 */
export function startSecretRefresh(dependencies: SecretRefreshDependencies): SecretRefresh {
  const { config, models, secrets, logger } = dependencies;
  const reload = dependencies.reload ?? ((current: SwitchyardConfig) => reloadConfig(current));
  let running: Promise<string[]> | null = null;
  const refreshNow = (): Promise<string[]> => {
    running ??= (async () => {
      try {
        const fresh = await reload(config);
        secrets.add(collectSecretValues(fresh));
        const changed = models.updateProviders(fresh.providers);
        if (changed.length > 0) logger.info({ providers: changed }, 'provider credentials refreshed from Vault');
        return changed;
      } catch (error) {
        logger.warn(
          { reason: error instanceof Error ? secrets.scrub(error.message) : 'unknown' },
          'reading secrets from Vault failed; the current values stay in use',
        );
        return [];
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const period = config.vault?.refreshMs ?? 0;
  const timer = usesVault(config) && period > 0 ? setInterval(() => void refreshNow(), period) : null;
  timer?.unref();
  return {
    refreshNow,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
