import { randomUUID } from 'node:crypto';
import {
  AppErrorSchema,
  check,
  checkManifest,
  type Manifest,
  readSkillEvents,
  type SkillAnswer,
  SkillAnswerSchema,
  type SkillCallBody,
  SkillStreamError,
  signRequest,
} from '@switchyard/app-protocol';
import type {
  AppEntry,
  AppRuntime,
  Environment,
  FocusModeDefinition,
  SkillCall,
  SkillDefinition,
  SkillResult,
} from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { Logger } from 'pino';
import { type Dispatcher, request } from 'undici';
import { focusModesOf } from './focus-modes';
import { defaultMaxOutputBytes, defaultSkillTimeoutMs } from './mcp-app';
import { limitOutput } from './output-limit';

/** A manifest is read again after this long (and at once when a call says a skill is unknown). */
export const manifestMaxAgeMs = 5 * 60_000;
/** Reading a manifest is not a skill call: it has its own limit, so listing apps never waits long. */
export const manifestTimeoutMs = 10_000;
const maxManifestBytes = 1024 * 1024;

export interface HttpAppOptions {
  /** Milliseconds since the epoch: when manifests age and what requests are signed with (tests inject a clock). */
  readonly now?: () => number;
  /** Where connections are made; default undici's own (a project's app gets one that reaches public addresses only). */
  readonly dispatcher?: Dispatcher;
}

interface LoadedManifest {
  readonly manifest: Manifest;
  readonly skills: readonly SkillDefinition[];
  readonly focusModes: readonly FocusModeDefinition[];
  readonly readAt: number;
}

class AppProtocolError extends Error {}

function unavailable(app: string, reason: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError('SY_ERR_APP_UNAVAILABLE', `App '${app}' is unavailable: ${reason}`, { cause });
}

/** Why a request did not get an answer, in words (fetch says only "fetch failed"). */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return (error as Error).message;
}

/** Reads a body up to `maxBytes`; more is a protocol error (an app must not fill our memory). */
async function readBody(body: AsyncIterable<Uint8Array> | null, maxBytes: number): Promise<string> {
  if (!body) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new AppProtocolError(`its answer passed ${maxBytes} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Frees the connection of an answer not read to its end (destroying a body undici reports as an error event). */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  if (!body.readableEnded) body.destroy();
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppProtocolError(`its ${what} is not JSON`);
  }
}

/** The app's own error message from a `{error: {code, message}}` body, cut short; nothing when it sent none. */
function appErrorOf(text: string): { code: string; message: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const checked = check(AppErrorSchema, value);
  if (!checked.ok) return null;
  return { code: checked.value.error.code.slice(0, 100), message: checked.value.error.message.slice(0, 300) };
}

/**
 * A remote HTTP app (docs/apps.md, "Writing a remote app"): its manifest (`GET /manifest`) lists
 * its skills and focus modes; each call is `POST /skills/{name}`, signed with the app's secret,
 * answered with JSON or a stream of progress events and a result. Whatever goes wrong on the
 * app's side (down, an error status, a broken answer) is SY_ERR_APP_UNAVAILABLE with the reason.
 */
export function createHttpApp(entry: AppEntry, logger: Logger, options: HttpAppOptions = {}): AppRuntime {
  const now = options.now ?? Date.now;
  const timeoutMs = entry.timeoutMs ?? defaultSkillTimeoutMs;
  const maxOutputBytes = entry.maxOutputBytes ?? defaultMaxOutputBytes;
  const baseURL = (entry.baseURL ?? '').replace(/\/+$/, '');
  const secret = entry.secret ?? '';
  const configModes = focusModesOf(entry.focusModes);
  const closing = new AbortController();
  let loaded: LoadedManifest | null = null;
  let loading: Promise<LoadedManifest> | null = null;

  function signedHeaders(body: string): Record<string, string> {
    return { ...entry.headers, ...signRequest(secret, body, now()) };
  }

  function send(
    path: string,
    init: { method: 'GET' | 'POST'; body?: string; accept: string; signal: AbortSignal },
  ): Promise<Dispatcher.ResponseData> {
    const body = init.body ?? '';
    // undici's request follows no redirect: the app's address is the configured one only.
    return request(`${baseURL}${path}`, {
      method: init.method,
      headers: {
        ...signedHeaders(body),
        accept: init.accept,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body } : {}),
      signal: AbortSignal.any([init.signal, closing.signal]),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  /** What an error status means: the app refused our signature, or failed. */
  function statusError(status: number, text: string): SwitchyardError {
    const appError = appErrorOf(text);
    const said = appError ? `: ${appError.message}` : '';
    if (status === 401 || status === 403) {
      return unavailable(entry.id, `it refused the request's signature (${status}${said}); check the app's secret`);
    }
    return unavailable(entry.id, `it answered ${status}${said}`);
  }

  async function readManifest(): Promise<LoadedManifest> {
    if (!secret) throw unavailable(entry.id, 'it has no secret; set `secret` in its config entry');
    const deadline = AbortSignal.timeout(Math.min(timeoutMs, manifestTimeoutMs));
    let status: number;
    let text: string;
    try {
      const response = await send('/manifest', { method: 'GET', accept: 'application/json', signal: deadline });
      status = response.statusCode;
      text = await readBody(response.body, maxManifestBytes).finally(() => discard(response.body));
    } catch (error) {
      if (closing.signal.aborted) throw unavailable(entry.id, 'the server is shutting down');
      if (deadline.aborted) throw unavailable(entry.id, 'its manifest did not arrive in time', error);
      throw unavailable(entry.id, `its manifest could not be read: ${describeFailure(error)}`, error);
    }
    if (status < 200 || status >= 300) throw statusError(status, text);
    let value: unknown;
    try {
      value = parseJson(text, 'manifest');
    } catch (error) {
      throw unavailable(entry.id, (error as Error).message);
    }
    const checked = checkManifest(value);
    if (!checked.ok) throw unavailable(entry.id, `its manifest is invalid: ${checked.reason}`);
    const manifest = checked.value;
    const skills = manifest.skills.map((skill) => ({
      name: skill.name,
      description: skill.description,
      inputSchema: skill.input_schema,
    }));
    // The config file's focus modes win over the app's own of the same id.
    const ownModes = (manifest.focus_modes ?? [])
      .filter((mode) => !configModes.some((configured) => configured.id === mode.id))
      .map((mode) => ({
        id: mode.id,
        name: mode.name,
        description: mode.description ?? '',
        systemPrompt: mode.system_prompt,
        skills: mode.skills ?? null,
        model: mode.model ?? null,
      }));
    if (!loaded || loaded.manifest.version !== manifest.version) {
      logger.info({ app: entry.id, version: manifest.version, skills: skills.length }, 'app manifest read');
    }
    return { manifest, skills, focusModes: [...configModes, ...ownModes], readAt: now() };
  }

  function manifest(): Promise<LoadedManifest> {
    if (loaded && now() - loaded.readAt < manifestMaxAgeMs) return Promise.resolve(loaded);
    loading ??= readManifest()
      .then((fresh) => {
        loaded = fresh;
        return fresh;
      })
      .catch((error) => {
        // An app that is down (or whose manifest broke) is unavailable until it answers again.
        loaded = null;
        throw error;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  function resultOf(answer: SkillAnswer): SkillResult {
    const text = typeof answer.output === 'string' ? answer.output : JSON.stringify(answer.output);
    const limited = limitOutput(text, maxOutputBytes);
    return { text: limited.text, truncated: limited.truncated, isError: answer.is_error === true };
  }

  async function answerOf(response: Dispatcher.ResponseData, skill: string, call: SkillCall): Promise<SkillResult> {
    // The answer may be larger than the output limit (JSON around it, an object cut later): allow some room.
    const maxBytes = Math.max(1024 * 1024, maxOutputBytes * 4);
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      const text = await readBody(response.body, 64 * 1024).catch(() => '');
      if (status === 404) {
        // The app no longer has the skill: its manifest is read again on the next listing.
        loaded = null;
        throw new SwitchyardError('SY_ERR_SKILL_NOT_FOUND', `App '${entry.id}' has no skill '${skill}' any more`);
      }
      if (status === 400 || status === 422) {
        const appError = appErrorOf(text);
        throw new SwitchyardError(
          'SY_ERR_VALIDATION',
          `App '${entry.id}' refused the input: ${appError?.message ?? `it answered ${status}`}`,
        );
      }
      throw statusError(status, text);
    }
    const type = String(response.headers['content-type'] ?? '');
    if (type.startsWith('text/event-stream')) {
      for await (const event of readSkillEvents(response.body, { maxBytes })) {
        if (event.type === 'progress') {
          call.onProgress?.(event.progress);
        } else if (event.type === 'result') {
          return resultOf(event.answer);
        } else {
          throw unavailable(entry.id, `it failed: ${event.error.message.slice(0, 300)}`);
        }
      }
      throw new AppProtocolError('its event stream ended without a result');
    }
    if (!type.startsWith('application/json')) {
      throw new AppProtocolError(`it answered with ${type || 'no content type'}, not JSON or an event stream`);
    }
    const checked = check(SkillAnswerSchema, parseJson(await readBody(response.body, maxBytes), 'answer'));
    if (!checked.ok) throw new AppProtocolError(`its answer is invalid: ${checked.reason}`);
    return resultOf(checked.value);
  }

  return {
    id: entry.id,
    // The manifest's name once read, unless the config file names the app.
    get name() {
      return entry.name ?? loaded?.manifest.name ?? entry.id;
    },
    get description() {
      return entry.description ?? loaded?.manifest.description ?? '';
    },
    kind: 'http',
    environments: entry.environments ?? (['prod', 'dev'] satisfies Environment[]),
    timeoutMs,
    maxOutputBytes,
    skills: async () => (await manifest()).skills,
    focusModes: async () => (await manifest()).focusModes,
    async invoke(skill: string, call: SkillCall): Promise<SkillResult> {
      if (!secret) throw unavailable(entry.id, 'it has no secret; set `secret` in its config entry');
      const body: SkillCallBody = {
        input: { ...call.input },
        environment: call.environment,
        caller: { kind: call.caller.kind, subject: call.caller.subject },
        request_id: randomUUID(),
      };
      try {
        const response = await send(`/skills/${encodeURIComponent(skill)}`, {
          method: 'POST',
          body: JSON.stringify(body),
          accept: 'application/json, text/event-stream',
          signal: call.signal,
        });
        // Whatever was not read (an answer refused before its end) is dropped with its connection.
        return await answerOf(response, skill, call).finally(() => discard(response.body));
      } catch (error) {
        // The deadline or the client leaving: the registry says which.
        if (call.signal.aborted) throw call.signal.reason ?? error;
        if (error instanceof SwitchyardError) throw error;
        if (closing.signal.aborted) throw unavailable(entry.id, 'the server is shutting down');
        if (error instanceof AppProtocolError || error instanceof SkillStreamError) {
          throw unavailable(entry.id, error.message, error);
        }
        throw unavailable(entry.id, `the call failed: ${describeFailure(error)}`, error);
      }
    },
    async close() {
      closing.abort();
    },
  };
}
