import {
  createSettingsSnapshot,
  type SettingsSnapshot,
  type SettingValue,
  validateSettingValue,
} from '@switchyard/core';
import type { Logger } from 'pino';

export interface SettingsStore {
  /** The current values, read on the hot path without a database round trip. */
  current(): SettingsSnapshot;
  reload(): Promise<void>;
  /** Validates, stores, reloads this process and tells the others. */
  set(key: string, value: unknown): Promise<SettingValue>;
}

interface SettingsPersistence {
  list(): Promise<Array<{ key: string; value: unknown; updatedAt: Date | null }>>;
  set(key: string, value: SettingValue): Promise<unknown>;
  announce(): Promise<void>;
}

export function createSettingsStore(persistence: SettingsPersistence, logger: Logger): SettingsStore {
  let snapshot = createSettingsSnapshot([]);
  return {
    current: () => snapshot,
    async reload() {
      try {
        snapshot = createSettingsSnapshot(await persistence.list());
      } catch (error) {
        logger.error({ err: error }, 'reloading settings failed; keeping the previous values');
        throw error;
      }
    },
    async set(key, value) {
      const valid = validateSettingValue(key, value);
      await persistence.set(key, valid);
      snapshot = createSettingsSnapshot(await persistence.list());
      await persistence.announce();
      return valid;
    },
  };
}
