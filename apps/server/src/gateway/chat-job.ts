import { SwitchyardError } from '@switchyard/core';
import { createChatMessageRepository } from '@switchyard/db';
import type { ChatRequest } from '@switchyard/providers';
import type { ModelRegistry, Router } from '@switchyard/routing';
import type { Databases } from '../infrastructure/databases';
import type { PlatformJobQueue } from '../jobs/job-queue';

export interface ChatJobDependencies {
  readonly models: Pick<ModelRegistry, 'resolve'>;
  readonly router: Pick<Router, 'complete'>;
  readonly databases: Databases;
}

/** Async chat (`chat.complete`): the answer is routed like a live request and both messages are stored. */
export async function registerChatJob(jobs: PlatformJobQueue, dependencies: ChatJobDependencies): Promise<void> {
  const { models, router, databases } = dependencies;
  await jobs.process('chat.complete', async ({ id, payload, signal, reportProgress }) => {
    const route = models.resolve(payload.model);
    if (!route)
      throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The model '${payload.model}' no longer exists`, {
        isRetryable: false,
      });
    await reportProgress({ stage: 'calling-model' });
    const request: ChatRequest = { ...payload.params, model: route.id, messages: payload.messages };
    const routed = await router.complete(route, request, signal);
    const completion = { ...routed.value, served_by: routed.deployment.id };
    const answer = completion.choices[0]?.message.content;
    const lastUser = [...payload.messages].reverse().find((message) => message.role === 'user');
    // Deterministic ids: a retried job (at-least-once delivery) overwrites instead of duplicating.
    const messages = createChatMessageRepository(databases[payload.environment].db);
    await messages.upsertMany([
      {
        id: `${id}:user`,
        environment: payload.environment,
        apiKeyId: payload.apiKeyId,
        conversationId: payload.conversationId ?? id,
        role: 'user',
        content: typeof lastUser?.content === 'string' ? lastUser.content : JSON.stringify(lastUser?.content ?? ''),
        model: route.id,
      },
      {
        id: `${id}:assistant`,
        environment: payload.environment,
        apiKeyId: payload.apiKeyId,
        conversationId: payload.conversationId ?? id,
        role: 'assistant',
        content: typeof answer === 'string' ? answer : '',
        model: route.id,
        promptTokens: completion.usage?.prompt_tokens ?? null,
        completionTokens: completion.usage?.completion_tokens ?? null,
      },
    ]);
    return JSON.parse(JSON.stringify(completion));
  });
}
