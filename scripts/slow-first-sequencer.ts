import { statSync } from 'node:fs';
import { relative } from 'node:path';
import type { TestSequencer, TestSpecification, Vitest } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

/**
 * Test files known to take the longest (child processes, server mode, browsers, a thousand-job queue
 * run), slowest first. They start before everything else so that no worker picks one up near the
 * end while the other has nothing left: with two workers, the run ends when both are done.
 * Keep it short and by hand; a file missing from the tree is ignored.
 */
export const slowTestFiles = [
  'apps/server/src/gift-finder/gift-finder-server-mode.test.ts',
  'packages/jobs/src/job-queue.contract.test.ts',
  'apps/server/src/projects/project-permissions.test.ts',
  'apps/server/src/files/extraction-bombs.test.ts',
  'deploy/stacks/stacks.test.ts',
  'deploy/deploy.test.ts',
  'apps/server/src/apps/project-apps.test.ts',
  'apps/server/src/schedules/scheduler-processes.test.ts',
  'apps/server/src/cli/cli.test.ts',
  'apps/server/src/accounts/accounts-setup.test.ts',
  'e2e/ui.test.ts',
  'e2e/gift-finder.test.ts',
  'e2e/chat-versions.test.ts',
  'apps/server/src/gift-finder/gift-finder.test.ts',
  'deploy/stacks/rolling-deploy-switchyard.test.ts',
  'apps/server/src/gateway/limits-and-isolation.test.ts',
  'apps/server/src/plans/budget-race.test.ts',
  'apps/server/src/operations/cluster.test.ts',
];

/**
 * Listed slow files first, in the list's order; then every other file, largest first (a rough
 * stand-in for its run time), by path when sizes are equal. Deterministic: the same tree always
 * runs in the same order, with or without Vitest's cache of earlier durations.
 */
export default class SlowFirstSequencer extends BaseSequencer implements TestSequencer {
  constructor(ctx: Vitest) {
    super(ctx);
  }

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = new Map(slowTestFiles.map((path, index) => [path, index]));
    const keyed = files.map((spec) => {
      const path = relative(root, spec.moduleId).split('\\').join('/');
      let size = 0;
      try {
        size = statSync(spec.moduleId).size;
      } catch {
        // A file that vanished sorts last; Vitest reports it.
      }
      return { spec, path, rank: rank.get(path) ?? Number.POSITIVE_INFINITY, size };
    });
    keyed.sort((a, b) => {
      if (a.rank !== b.rank) return a.rank - b.rank;
      if (a.size !== b.size) return b.size - a.size;
      return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
    });
    return keyed.map(({ spec }) => spec);
  }
}
