import { type Environment, isSwitchyardError } from '@switchyard/core';
import type { SkillCallInsert, SkillCallStatus } from '@switchyard/db';
import type { AppRegistry } from './app-registry';

/** A skill call's usage row, as the batched writer queues it. */
export type SkillCallRow = SkillCallInsert & { environment: Environment };

function statusOf(error: unknown, aborted: boolean): { status: SkillCallStatus; errorCode: string | null } {
  const code = isSwitchyardError(error) ? error.code : null;
  if (code === 'SY_ERR_VALIDATION') return { status: 'invalid', errorCode: code };
  if (code === 'SY_ERR_SKILL_NOT_FOUND') return { status: 'not_found', errorCode: code };
  if (code === 'SY_ERR_SKILL_TIMEOUT') return { status: 'timeout', errorCode: code };
  if (aborted) return { status: 'aborted', errorCode: code };
  return { status: 'unavailable', errorCode: code ?? 'SY_ERR_APP_UNAVAILABLE' };
}

/**
 * The registry with a usage row for every skill call, whichever path it came by (the direct API, a chat's
 * tool loop, /mcp, an async job): app, skill, origin, how it ended, how long it took and who called.
 * Rows go to the caller's environment through a batched writer, never waiting on the database.
 */
export function recordSkillCalls(registry: AppRegistry, record: (row: SkillCallRow) => void): AppRegistry {
  return {
    ...registry,
    async run(app, skill, call) {
      const createdAt = new Date();
      const started = performance.now();
      const row = {
        environment: call.environment,
        apiKeyId: call.caller.subject.startsWith('key:') ? call.caller.subject.slice('key:'.length) : null,
        caller: call.caller.subject,
        app: app.id,
        skill,
        via: call.via ?? 'api',
        createdAt,
      };
      try {
        const outcome = await registry.run(app, skill, call);
        record({
          ...row,
          status: outcome.isError ? 'error' : 'ok',
          errorCode: null,
          durationMs: outcome.durationMs,
        });
        return outcome;
      } catch (error) {
        record({
          ...row,
          ...statusOf(error, call.signal?.aborted === true),
          durationMs: performance.now() - started,
        });
        throw error;
      }
    },
  };
}
