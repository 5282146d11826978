import { findSettingDefinition, type SettingDefinition, SwitchyardError } from '@switchyard/core';
import { asc, sql } from 'drizzle-orm';
import type { Db } from './client';
import { type SettingRecord, settings } from './schema';

export interface SettingsRepository {
  list(): Promise<SettingRecord[]>;
  /**
   * Stores a value (validated by the caller) and bumps updated_at. A row that
   * does not exist yet takes its type and description from the core definition.
   */
  set(key: string, value: unknown): Promise<SettingRecord>;
  /** Inserts missing defaults and refreshes type and description, never a stored value. */
  seedDefaults(definitions: readonly SettingDefinition[]): Promise<void>;
}

export function createSettingsRepository(db: Db): SettingsRepository {
  return {
    list: () => db.select().from(settings).orderBy(asc(settings.key)),

    async set(key, value) {
      const definition = findSettingDefinition(key);
      if (!definition) throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${key}'`);
      const [stored] = await db
        .insert(settings)
        .values({ key, value, type: definition.type, description: definition.description })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`now()` } })
        .returning();
      if (!stored) throw new SwitchyardError('SY_ERR_INTERNAL', `Storing setting '${key}' returned no row`);
      return stored;
    },

    async seedDefaults(definitions) {
      if (definitions.length === 0) return;
      await db
        .insert(settings)
        .values(
          definitions.map((definition) => ({
            key: definition.key,
            value: definition.defaultValue,
            type: definition.type,
            description: definition.description,
          })),
        )
        .onConflictDoUpdate({
          target: settings.key,
          set: { type: sql`excluded.type`, description: sql`excluded.description` },
        });
    },
  };
}
