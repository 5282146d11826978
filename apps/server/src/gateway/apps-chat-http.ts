import type { ChatCompletion, ChatRequest } from '@switchyard/providers';
import type { ModelRoute } from '@switchyard/routing';
import type { AppRegistry } from '../apps/app-registry';
import type { SkillScope } from '../apps/focus-modes';
import { appAudienceOf, skillCallerOf } from '../apps/skill-caller';
import { runSkillLoop, type SkillEvent } from '../apps/skill-loop';
import { clientDisconnectController } from '../edge/client-disconnect';
import type { EdgeReply, EdgeRequest } from '../edge/edge-request';
import { type CompletedChat, completeChat } from './chat-execution';
import { chatCallOf, tagAnswer } from './chat-http';
import type { GatewayDependencies } from './gateway-dependencies';

/** What a chat with apps adds to the gateway: the apps whose skills the model may call. */
export interface ChatWithAppsDependencies extends GatewayDependencies {
  readonly apps: AppRegistry;
}

/**
 * A chat request with `apps`: each model turn is routed like any chat (retries, fallbacks, cache),
 * the skills the model calls run in between, and the final answer comes back whole. The answer's
 * headers name the deployment of the last turn.
 */
export async function completeChatWithApps(
  gateway: ChatWithAppsDependencies,
  request: EdgeRequest,
  reply: EdgeReply,
  route: ModelRoute,
  body: ChatRequest,
  scope: SkillScope,
  onEvent?: (event: SkillEvent) => void,
): Promise<ChatCompletion> {
  const controller = clientDisconnectController(request, reply);
  const environment = request.principal?.environment ?? 'prod';
  let last: CompletedChat | null = null;
  const completion = await runSkillLoop(
    gateway.apps,
    body,
    scope,
    {
      environment,
      caller: skillCallerOf(request.principal, request.ip),
      audience: appAudienceOf(request.principal),
      signal: controller.signal,
      maxSteps: gateway.settings.current().getInteger('apps.max_steps'),
      ...(onEvent ? { onEvent } : {}),
    },
    async (turn) => {
      last = await completeChat(gateway, chatCallOf(request), route, turn, controller);
      return last.completion;
    },
  );
  const final = last as CompletedChat | null;
  if (final && !reply.sent) tagAnswer(reply, final);
  request.usageInfo = {
    model: route.id,
    promptTokens: completion.usage?.prompt_tokens ?? null,
    completionTokens: completion.usage?.completion_tokens ?? null,
  };
  return completion;
}
