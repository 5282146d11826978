import {
  type BudgetAmounts,
  type ChangeCounter,
  createMemoryBudgetMeter,
  createPriceTable,
  type Environment,
  type QuotaClock,
  type SwitchyardConfig,
  systemQuotaClock,
  toNanoDollars,
} from '@switchyard/core';
import {
  createKeyRepository,
  createPlansRepository,
  createProjectsRepository,
  createUsageRepository,
  createUsersRepository,
} from '@switchyard/db';
import { createRedisBudgetMeter } from '@switchyard/redis';
import type { ModelRegistry } from '@switchyard/routing';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppRegistry } from '../apps/app-registry';
import type { AudioModels } from '../audio/audio-models';
import type { EdgePlans } from '../edge/plan-limits';
import type { ImageModels } from '../images/image-models';
import type { Databases } from '../infrastructure/databases';
import type { NotificationService } from '../notifications/notification-service';
import { type BudgetEnforcer, createBudgetEnforcer } from './budget-enforcer';
import { createPlanService, type PlanService } from './plan-service';
import { createPlanStore, type PlanStore } from './plan-store';

export interface Plans extends EdgePlans {
  readonly store: PlanStore;
  readonly service: PlanService;
  readonly budgets: BudgetEnforcer;
  readonly clock: QuotaClock;
}

export interface PlansDependencies {
  config: Pick<SwitchyardConfig, 'prices'>;
  databases: Databases;
  redis: Redis | null;
  counter: ChangeCounter | null;
  logger: Logger;
  models: Pick<ModelRegistry, 'resolve'>;
  imageModels: Pick<ImageModels, 'list'>;
  audioModels: Pick<AudioModels, 'list'>;
  apps: () => Pick<AppRegistry, 'entry'> | null;
  notifications: Pick<NotificationService, 'notify'>;
  announce: () => Promise<void>;
  clock?: QuotaClock;
}

/**
 * A budget subject's rows in the usage log: `key:<id>`, `user:<id>`, `project:<id>` and `ip:<address>` by
 * their columns; any other (a caller outside HTTP, `whatsapp:+<number>`) by the subject its rows carry.
 */
function subjectOf(budgetSubject: string) {
  const separator = budgetSubject.indexOf(':');
  const kind = budgetSubject.slice(0, separator);
  const id = budgetSubject.slice(separator + 1);
  if (kind === 'key') return { apiKeyId: id };
  if (kind === 'user') return { userId: id };
  if (kind === 'project') return { projectId: id };
  if (kind === 'ip') return { clientIp: id };
  return { subject: budgetSubject };
}

/** Plans, their cached resolution, the budget counters (Redis in server mode) and the price table. */
export function createPlans(dependencies: PlansDependencies): Plans {
  const { databases, logger } = dependencies;
  const clock = dependencies.clock ?? systemQuotaClock;
  const repository = createPlansRepository(databases.prod.db);
  const store = createPlanStore(
    async () => {
      const [plans, assignments] = await Promise.all([repository.list(), repository.assignments()]);
      return { plans, assignments };
    },
    logger,
    dependencies.counter,
  );
  const meter = dependencies.redis ? createRedisBudgetMeter(dependencies.redis) : createMemoryBudgetMeter(clock);
  const loadSpent = async (environment: Environment, budgetSubject: string, since: Date): Promise<BudgetAmounts> => {
    const totals = await createUsageRepository(databases[environment].db).totals({
      environment,
      since,
      subject: subjectOf(budgetSubject),
    });
    return { tokens: totals.promptTokens + totals.completionTokens, nanoDollars: toNanoDollars(totals.costUsd) };
  };
  const budgets = createBudgetEnforcer({
    meter,
    clock,
    logger,
    // Redis keeps the counters across restarts; the embedded server's memory starts from the usage log.
    loadSpent: dependencies.redis ? null : loadSpent,
    notify: async (notice) => {
      try {
        await dependencies.notifications.notify({ ...notice, link: '/usage' });
      } catch (error) {
        logger.warn({ err: error, kind: notice.kind }, 'a budget notification could not be stored');
      }
    },
  });
  const keys = createKeyRepository(databases.prod.db);
  const users = createUsersRepository(databases.prod.db);
  const projects = createProjectsRepository(databases.prod.db);
  const service = createPlanService({
    repository,
    store,
    announce: dependencies.announce,
    subjectExists: async (type, id) =>
      type === 'key'
        ? (await keys.findById(id)) !== undefined
        : type === 'project'
          ? (await projects.find(id)) !== undefined
          : (await users.findById(id)) !== undefined,
    knownModel: (id) =>
      dependencies.models.resolve(id) !== undefined ||
      dependencies.imageModels.list().some((model) => model.id === id) ||
      dependencies.audioModels.list().some((model) => model.id === id),
    knownApp: (id) => dependencies.apps()?.entry(id) !== undefined,
  });
  return {
    store,
    service,
    budgets,
    clock,
    prices: createPriceTable(dependencies.config.prices),
    models: dependencies.models,
  };
}

export { loadModelsFor, loadSpentFor };

/** For the user's own usage page: the period's totals from the usage log (requests, tokens, spend). */
function loadSpentFor(databases: Databases) {
  return (environment: Environment, budgetSubject: string, since: Date) =>
    createUsageRepository(databases[environment].db).totals({ environment, since, subject: subjectOf(budgetSubject) });
}

/** The same per model. */
function loadModelsFor(databases: Databases) {
  return (environment: Environment, budgetSubject: string, since: Date) =>
    createUsageRepository(databases[environment].db).totalsByModel({
      environment,
      since,
      subject: subjectOf(budgetSubject),
    });
}
