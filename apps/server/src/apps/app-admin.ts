import {
  type AppEntry,
  type AppKind,
  type AppRuntime,
  builtinAppIds,
  type Environment,
  isUserRole,
  SwitchyardError,
  type UserRole,
} from '@switchyard/core';
import type { AppRecord, AppRow } from '@switchyard/db';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { type AppAccess, type AppRegistry, createAppRuntime, type RegisteredApp } from './app-registry';

/** An app's definition as an admin gives it (the API's snake_case, in our names). */
export interface AppDefinition {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  /** MCP: the Streamable HTTP endpoint. */
  readonly url?: string | undefined;
  /** HTTP apps: where the manifest and skills are. */
  readonly baseUrl?: string | undefined;
  /** HTTP apps: the HMAC key calls are signed with. Stored, never shown. */
  readonly secret?: string | undefined;
  /** Sent with every request to the app (credentials, typically). Stored, never shown. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs?: number | undefined;
  readonly maxOutputBytes?: number | undefined;
}

export interface NewApp extends AppDefinition {
  readonly id: string;
  readonly type: 'mcp' | 'http';
  readonly environments?: readonly Environment[] | undefined;
  readonly roles?: readonly UserRole[] | null | undefined;
  /** A project's app: offered only within the project (see AppAudience); null or absent: a global app. */
  readonly projectId?: string | null | undefined;
  /** Who added a project's app. */
  readonly createdBy?: string | null | undefined;
}

/** A PATCH: any field; null clears the secret or opens the app to every role again. */
export interface AppChanges extends Omit<AppDefinition, 'secret'> {
  readonly secret?: string | null | undefined;
  readonly environments?: readonly Environment[] | undefined;
  readonly roles?: readonly UserRole[] | null | undefined;
  readonly enabled?: boolean | undefined;
}

/** What the admin service stores and how it tells the other processes. */
export interface AppAdminPersistence {
  list(): Promise<AppRecord[]>;
  find(id: string): Promise<AppRecord | undefined>;
  insert(row: AppRow): Promise<AppRecord>;
  put(row: AppRow): Promise<AppRecord>;
  delete(id: string): Promise<boolean>;
  /** How many of the project's apps were removed. */
  deleteForProject(projectId: string): Promise<number>;
  /** Every process reloads (the change topic 'apps'). */
  announce(): Promise<void>;
}

/**
 * Run-time app administration. Apps are global (the control plane's prod database), so only an admin of
 * every environment changes them (the routes check); every process applies the stored rows to its own
 * registry on `reload`, which a change notification triggers.
 */
export interface AppAdmin {
  /** Applies the stored apps and overrides to this process's registry. */
  reload(): Promise<void>;
  create(app: NewApp): Promise<RegisteredApp>;
  update(id: string, changes: AppChanges): Promise<RegisteredApp>;
  /** Admin-made apps only; the others are disabled instead (409). */
  delete(id: string): Promise<void>;
  /** A deleted project's apps go with it. */
  deleteForProject(projectId: string): Promise<void>;
  /** For responses: whether a stored admin app has a secret and which header names it sends (never values). */
  describe(id: string): StoredAppDescription | null;
}

export interface StoredAppDescription {
  readonly description: string;
  readonly url?: string;
  readonly baseUrl?: string;
  readonly headerNames: readonly string[];
  readonly hasSecret: boolean;
}

const idPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const overridable = ['enabled', 'environments', 'roles'] as const;

const invalid = (message: string) => new SwitchyardError('SY_ERR_VALIDATION', message);

/** An http(s) URL without user info (credentials belong in headers, which are never shown). */
function checkUrl(id: string, field: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`App '${id}': ${field} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`App '${id}': ${field} must be an http or https URL`);
  }
  if (url.username || url.password) {
    throw invalid(`App '${id}': ${field} must not hold credentials; send them in headers (never shown back)`);
  }
}

/** A URL as admins see it: query values could be tokens, so they are not shown. */
export function displayUrl(value: string): string {
  const url = new URL(value);
  for (const name of [...url.searchParams.keys()]) url.searchParams.set(name, '…');
  return url.toString();
}

function checkDefinition(id: string, type: string, definition: AppDefinition): void {
  if (type === 'mcp') {
    if (definition.url === undefined) throw invalid(`App '${id}': an mcp app needs url (its Streamable HTTP endpoint)`);
    if (definition.baseUrl !== undefined) throw invalid(`App '${id}': base_url is for http apps; an mcp app has url`);
    if (definition.secret !== undefined)
      throw invalid(`App '${id}': secret is for http apps; send mcp credentials in headers`);
    checkUrl(id, 'url', definition.url);
  } else if (type === 'http') {
    if (definition.baseUrl === undefined) throw invalid(`App '${id}': an http app needs base_url`);
    if (definition.url !== undefined) throw invalid(`App '${id}': url is for mcp apps; an http app has base_url`);
    checkUrl(id, 'base_url', definition.baseUrl);
  } else {
    throw invalid(`App '${id}': type must be mcp or http`);
  }
}

const definitionOf = (row: AppRecord): AppDefinition => (row.definition ?? {}) as AppDefinition;
const rolesOf = (row: AppRecord): UserRole[] | null => (row.roles ? row.roles.filter(isUserRole) : null);
const environmentsOf = (row: AppRecord): Environment[] | null =>
  row.environments ? (row.environments.filter((each) => each === 'prod' || each === 'dev') as Environment[]) : null;

/**
 * The config-file entry of a stored admin app: the registry builds it like a config app. (The `http`
 * type's fields are named as its runtime reads them; see the http app's config schema.)
 */
function appEntryOf(row: AppRecord): AppEntry {
  const definition = definitionOf(row);
  const common = {
    id: row.id,
    ...(definition.name === undefined ? {} : { name: definition.name }),
    ...(definition.description === undefined ? {} : { description: definition.description }),
    ...(definition.headers === undefined ? {} : { headers: { ...definition.headers } }),
    ...(row.environments ? { environments: environmentsOf(row) as Environment[] } : {}),
    ...(definition.timeoutMs === undefined ? {} : { timeoutMs: definition.timeoutMs }),
    ...(definition.maxOutputBytes === undefined ? {} : { maxOutputBytes: definition.maxOutputBytes }),
  };
  if (row.type === 'http') {
    return {
      ...common,
      type: 'http',
      baseURL: definition.baseUrl ?? '',
      ...(definition.secret === undefined ? {} : { secret: definition.secret }),
    };
  }
  return { ...common, type: 'mcp', url: definition.url ?? '' };
}

/** An app whose definition this server cannot run: listed as unavailable, with the reason. */
function unavailableApp(row: AppRecord, reason: Error): AppRuntime {
  const failure = () =>
    Promise.reject(new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `App '${row.id}' is unavailable: ${reason.message}`));
  const definition = definitionOf(row);
  return {
    id: row.id,
    name: definition.name ?? row.id,
    description: definition.description ?? '',
    kind: (row.type === 'http' ? 'http' : 'mcp') satisfies AppKind,
    environments: environmentsOf(row) ?? ['prod', 'dev'],
    timeoutMs: definition.timeoutMs ?? 30_000,
    maxOutputBytes: definition.maxOutputBytes ?? 64 * 1024,
    skills: failure,
    focusModes: async () => [],
    invoke: failure,
    close: async () => {},
  };
}

export interface AppAdminOptions {
  /**
   * Where projects' apps connect: their URLs are given by users, not by the operator, so they reach public
   * addresses only (docs/security.md, outbound URLs). Admins' own apps may run on private networks.
   */
  readonly projectAppDispatcher?: Dispatcher;
}

export function createAppAdmin(
  registry: AppRegistry,
  persistence: AppAdminPersistence,
  logger: Logger,
  options: AppAdminOptions = {},
): AppAdmin {
  /** Per admin app: the definition its runtime was built from, so a reload rebuilds only what changed. */
  const built = new Map<string, string>();
  let stored = new Map<string, AppRecord>();
  let running: Promise<void> | null = null;
  let again = false;
  /** The environments a built-in or config app has without an override (from its definition). */
  const defaultEnvironments = new Map(
    registry
      .entries()
      .filter((entry) => entry.source !== 'admin')
      .map((entry) => [entry.runtime.id, entry.runtime.environments] as const),
  );

  async function apply(rows: readonly AppRecord[]): Promise<void> {
    stored = new Map(rows.map((row) => [row.id, row]));
    for (const entry of registry.entries()) {
      if (entry.source === 'admin' && stored.get(entry.runtime.id)?.source !== 'admin') {
        built.delete(entry.runtime.id);
        await registry.remove(entry.runtime.id);
      }
      if (entry.source !== 'admin') {
        const override = stored.get(entry.runtime.id);
        registry.setAccess(
          entry.runtime.id,
          override?.source === 'override'
            ? {
                enabled: override.enabled,
                environments: environmentsOf(override) ?? defaultEnvironments.get(entry.runtime.id) ?? [],
                roles: rolesOf(override),
                projectId: null,
              }
            : null,
        );
      }
    }
    for (const row of rows) {
      if (row.source !== 'admin') continue;
      const current = registry.entry(row.id);
      if (current && current.source !== 'admin') continue; // A config app took the id since: the config wins.
      const fingerprint = JSON.stringify([row.type, row.definition, row.projectId]);
      const access: AppAccess = {
        enabled: row.enabled,
        environments: environmentsOf(row) ?? ['prod', 'dev'],
        roles: rolesOf(row),
        projectId: row.projectId,
      };
      if (current && built.get(row.id) === fingerprint) {
        await registry.upsert(current.runtime, access);
        continue;
      }
      let runtime: AppRuntime;
      try {
        const dispatcher = row.projectId ? options.projectAppDispatcher : undefined;
        runtime = createAppRuntime(appEntryOf(row), logger, dispatcher ? { dispatcher } : {});
      } catch (error) {
        logger.warn({ app: row.id, reason: (error as Error).message }, 'app cannot run here');
        runtime = unavailableApp(row, error as Error);
      }
      built.set(row.id, fingerprint);
      await registry.upsert(runtime, access);
    }
  }

  async function reload(): Promise<void> {
    // One at a time; a request for another while one runs makes one more after it (it may have missed a change).
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await apply(await persistence.list());
        } while (again);
      } catch (error) {
        logger.error({ reason: (error as Error).message }, 'reloading apps failed; keeping the previous ones');
        throw error;
      } finally {
        running = null;
      }
    })();
    return running;
  }

  async function changed(): Promise<void> {
    await reload();
    await persistence.announce();
  }

  function registered(id: string): RegisteredApp {
    const entry = registry.entry(id);
    if (!entry) throw new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${id}'`);
    return entry;
  }

  return {
    reload,

    async create(app) {
      if (!idPattern.test(app.id)) {
        throw invalid('id must be 1-63 lowercase letters, digits, - or _, starting with a letter or digit');
      }
      if (builtinAppIds.includes(app.id) || registry.entry(app.id)?.source === 'builtin') {
        throw invalid(`App id '${app.id}' is a built-in app's`);
      }
      const existing = registry.entry(app.id);
      if (existing)
        throw new SwitchyardError('SY_ERR_CONFLICT', `An app '${app.id}' exists already (${existing.source})`);
      checkDefinition(app.id, app.type, app);
      const definition: AppDefinition = {
        name: app.name,
        description: app.description,
        url: app.url,
        baseUrl: app.baseUrl,
        secret: app.secret,
        headers: app.headers,
        timeoutMs: app.timeoutMs,
        maxOutputBytes: app.maxOutputBytes,
      };
      // An override left behind by a config app that is gone no longer means anything.
      if ((await persistence.find(app.id))?.source === 'override') await persistence.delete(app.id);
      await persistence.insert({
        id: app.id,
        source: 'admin',
        type: app.type,
        definition: JSON.parse(JSON.stringify(definition)) as Record<string, unknown>,
        enabled: true,
        environments: app.environments ? [...app.environments] : null,
        roles: app.roles ? [...app.roles] : null,
        projectId: app.projectId ?? null,
        createdBy: app.createdBy ?? null,
      });
      await changed();
      return registered(app.id);
    },

    async update(id, changes) {
      const entry = registered(id);
      if (entry.source !== 'admin') {
        const refused = Object.keys(changes).filter(
          (field) =>
            (changes as Record<string, unknown>)[field] !== undefined &&
            !(overridable as readonly string[]).includes(field),
        );
        if (refused.length > 0) {
          throw invalid(
            `App '${id}' is a ${entry.source} app: only enabled, environments and roles can be changed here (not ${refused.join(', ')})`,
          );
        }
        await persistence.put({
          id,
          source: 'override',
          type: null,
          definition: null,
          enabled: changes.enabled ?? entry.enabled,
          environments: [...(changes.environments ?? entry.environments)],
          roles:
            changes.roles === undefined ? (entry.roles ? [...entry.roles] : null) : changes.roles && [...changes.roles],
          projectId: null,
          createdBy: null,
        });
        await changed();
        return registered(id);
      }
      const row = await persistence.find(id);
      if (row?.source !== 'admin' || !row.type) throw new SwitchyardError('SY_ERR_APP_NOT_FOUND', `No app '${id}'`);
      const { enabled, environments, roles, secret, ...fields } = changes;
      const merged: Record<string, unknown> = { ...definitionOf(row) };
      for (const [field, value] of Object.entries(fields)) if (value !== undefined) merged[field] = value;
      if (secret === null) delete merged.secret;
      else if (secret !== undefined) merged.secret = secret;
      checkDefinition(id, row.type, merged as AppDefinition);
      await persistence.put({
        id,
        source: 'admin',
        type: row.type,
        definition: merged,
        enabled: enabled ?? row.enabled,
        environments: environments ? [...environments] : row.environments,
        roles: roles === undefined ? row.roles : roles && [...roles],
        projectId: row.projectId,
        createdBy: row.createdBy,
      });
      await changed();
      return registered(id);
    },

    async delete(id) {
      const entry = registered(id);
      if (entry.source !== 'admin') {
        throw new SwitchyardError(
          'SY_ERR_CONFLICT',
          `App '${id}' is a ${entry.source} app and cannot be deleted; disable it instead (PATCH {"enabled": false})`,
        );
      }
      await persistence.delete(id);
      await changed();
    },

    async deleteForProject(projectId) {
      if ((await persistence.deleteForProject(projectId)) > 0) await changed();
    },

    describe(id) {
      const row = stored.get(id);
      if (row?.source !== 'admin') return null;
      const definition = definitionOf(row);
      return {
        description: definition.description ?? '',
        ...(definition.url ? { url: displayUrl(definition.url) } : {}),
        ...(definition.baseUrl ? { baseUrl: displayUrl(definition.baseUrl) } : {}),
        headerNames: Object.keys(definition.headers ?? {}),
        hasSecret: definition.secret !== undefined,
      };
    },
  };
}
