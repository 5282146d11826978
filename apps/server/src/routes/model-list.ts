import type { Environment } from '@switchyard/core';
import type { ModelRoute } from '../runtime/model-registry';
import type { Runtime } from '../runtime/runtime';

/** The models a caller in this environment may use. */
export function visibleModels(runtime: Runtime, environment: Environment): ModelRoute[] {
  return runtime.models.list().filter((model) => model.environments.includes(environment));
}
