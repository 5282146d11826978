import { isSwitchyardError, type SkillProgress } from '@switchyard/core';
import { markUnrecoverable } from '@switchyard/jobs';
import type { PlatformJobQueue } from '../jobs/job-queue';
import { type AppRegistry, skillCallBody } from './app-registry';

export interface SkillJobDependencies {
  readonly apps: AppRegistry;
}

/**
 * Async skill calls (`skill.call`): run through the registry like a direct call (input check, the app's
 * timeout, output limit, metrics, a usage row with origin `job`); the skill's progress becomes the job's
 * progress events. Only an app that could not be reached is tried again (on the catalog's back-off): a
 * call the app received may have done its work, and its refusal or timeout would only repeat.
 */
export async function registerSkillJob(jobs: PlatformJobQueue, { apps }: SkillJobDependencies): Promise<void> {
  await jobs.process('skill.call', async ({ payload, signal, reportProgress }) => {
    let runtime: ReturnType<AppRegistry['get']>;
    try {
      runtime = apps.get(payload.environment, payload.app, {
        role: payload.role ?? null,
        projectId: payload.projectId ?? null,
      });
    } catch (error) {
      throw markUnrecoverable(error as Error);
    }
    // Progress is stored in order, one write at a time; a failed write loses a step, never the call.
    let reported: Promise<void> = Promise.resolve();
    const onProgress = (progress: SkillProgress) => {
      const data = {
        message: progress.message,
        ...(progress.fraction !== undefined ? { fraction: progress.fraction } : {}),
      };
      reported = reported.then(() => reportProgress(data)).catch(() => {});
    };
    try {
      const outcome = await apps.run(runtime, payload.skill, {
        environment: payload.environment,
        caller: { kind: payload.callerKind, subject: payload.subject, userId: payload.userId },
        input: payload.input,
        signal,
        via: 'job',
        onProgress,
      });
      await reported;
      return skillCallBody(outcome);
    } catch (error) {
      await reported;
      // The job's own timeout or a shutdown: the platform decides (a shutdown hands the job back).
      if (signal.aborted) throw error;
      if (isSwitchyardError(error) && error.code === 'SY_ERR_APP_UNAVAILABLE') throw error;
      throw error instanceof Error ? markUnrecoverable(error) : error;
    }
  });
}
