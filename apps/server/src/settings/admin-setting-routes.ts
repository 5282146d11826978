import { ErrorResponse, SetSettingRequest, Setting, SettingList, SettingParams } from '@switchyard/api-schemas';
import {
  environmentOfSetting,
  environments,
  findSettingDefinition,
  listSettingEntries,
  SwitchyardError,
} from '@switchyard/core';
import type { ModelRegistry } from '@switchyard/routing';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { administers, assertAdministers, assertAdministersAll } from '../edge/admin-environments';
import type { Principal, RouteBehaviour } from '../edge/principal';
import type { SettingsStore } from './settings-store';

export interface AdminSettingDependencies {
  readonly store: SettingsStore;
  /** Model ids named by models.disabled.* are checked against the catalog. */
  readonly models: Pick<ModelRegistry, 'resolve'>;
}

const adminBehaviour: RouteBehaviour = { auth: 'admin' };
/** The console polls these reads; they are not API usage and would crowd the usage charts. */
const adminReadBehaviour: RouteBehaviour = { auth: 'admin', usage: false };
const security = [{ bearer: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

function describeSetting(settings: AdminSettingDependencies, key: string) {
  const entry = settings.store
    .current()
    .entries()
    .find((candidate) => candidate.definition.key === key);
  if (!entry) throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${key}'`);
  const { definition } = entry;
  return {
    key: definition.key,
    value: entry.value,
    type: definition.type,
    description: definition.description,
    default: definition.defaultValue,
    ...(definition.minimum === undefined ? {} : { minimum: definition.minimum }),
    ...(definition.maximum === undefined ? {} : { maximum: definition.maximum }),
    updatedAt: entry.updatedAt ? entry.updatedAt.toISOString() : null,
  };
}

/**
 * A per-environment setting (`….prod`, `….dev`) belongs to that environment's admins; a global one affects
 * prod too, so only an admin of every environment sees or changes it.
 */
function mayAdminister(principal: Principal | null, key: string): boolean {
  const environment = environmentOfSetting(key);
  return environment ? administers(principal, environment) : environments.every((each) => administers(principal, each));
}

/** Global settings, for admins. A change applies to the next request, everywhere. */
export function registerAdminSettingRoutes(app: FastifyInstance, settings: AdminSettingDependencies): void {
  app.get(
    '/v1/admin/settings',
    {
      config: { behaviour: adminReadBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'List settings with their values, defaults and limits',
        security,
        response: { 200: SettingList, ...errors },
      },
    },
    async (request) => ({
      settings: settings.store
        .current()
        .entries()
        .filter((entry) => mayAdminister(request.principal, entry.definition.key))
        .map((entry) => describeSetting(settings, entry.definition.key)),
    }),
  );

  app.put<{ Params: Static<typeof SettingParams>; Body: SetSettingRequest }>(
    '/v1/admin/settings/:key',
    {
      config: { behaviour: adminBehaviour },
      schema: {
        tags: ['Admin'],
        summary: 'Change a setting; takes effect on the next request without a restart',
        security,
        params: SettingParams,
        body: SetSettingRequest,
        response: { 200: Setting, ...errors },
      },
    },
    async (request) => {
      if (!findSettingDefinition(request.params.key)) {
        throw new SwitchyardError('SY_ERR_SETTING_NOT_FOUND', `Unknown setting '${request.params.key}'`);
      }
      const environment = environmentOfSetting(request.params.key);
      if (environment) assertAdministers(request.principal, environment);
      else assertAdministersAll(request.principal, `The setting '${request.params.key}'`);
      if (request.params.key.startsWith('models.disabled.') && typeof request.body.value === 'string') {
        const unknown = listSettingEntries(request.body.value).filter((id) => !settings.models.resolve(id));
        if (unknown.length > 0) {
          throw new SwitchyardError(
            'SY_ERR_VALIDATION',
            `Unknown model${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
          );
        }
      }
      await settings.store.set(request.params.key, request.body.value);
      request.log.info({ setting: request.params.key, by: request.principal?.keyId }, 'setting changed');
      return describeSetting(settings, request.params.key);
    },
  );
}
