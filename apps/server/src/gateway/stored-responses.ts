import { environments } from '@switchyard/core';
import { createStoredResponsesRepository } from '@switchyard/db';
import type { Databases } from '../infrastructure/databases';

/**
 * Deletes stored Responses API answers past their retention in each environment's database (the
 * system schedule `system.stored-responses-purge`). An embedded dev database nobody has opened holds
 * none and stays closed.
 */
export async function purgeStoredResponses(databases: Databases, now = new Date()): Promise<number> {
  let deleted = 0;
  for (const environment of environments) {
    if (!databases[environment].opened()) continue;
    deleted += await createStoredResponsesRepository(databases[environment].db).purgeExpired(now);
  }
  return deleted;
}
