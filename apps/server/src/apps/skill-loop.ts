import type { AppRuntime, Environment, SkillCaller, SkillDefinition, SkillProgress } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { ChatCompletion, ChatMessage, ChatRequest, ToolCall, Usage } from '@switchyard/providers';
import { type AppAudience, type AppRegistry, everyone } from './app-registry';
import type { SkillScope } from './focus-modes';

/** What happened in one skill call of a chat, as clients see it in events. */
export type SkillEvent =
  | { type: 'tool_call'; id: string; app: string; skill: string; input: unknown }
  /** A long skill's step, as the app reports it (remote HTTP apps stream them). */
  | { type: 'tool_progress'; id: string; app: string; skill: string; message: string; fraction?: number }
  | {
      type: 'tool_result';
      id: string;
      app: string;
      skill: string;
      output: string;
      is_error: boolean;
      duration_ms: number;
    };

export interface SkillLoopContext {
  readonly environment: Environment;
  readonly caller: SkillCaller;
  readonly signal: AbortSignal;
  readonly maxSteps: number;
  /** The caller's role and project: apps closed to them are not offered (see appAudienceOf). */
  readonly audience?: AppAudience;
  /** Each call and result as it happens (native SSE streams them). */
  readonly onEvent?: (event: SkillEvent) => void;
}

/** One model turn: the same request with more messages; the caller routes it (retries, fallbacks, cache). */
export type ModelTurn = (request: ChatRequest) => Promise<ChatCompletion>;

interface SkillTool {
  app: AppRuntime;
  skill: string;
}

/** A function name a model may use: `<app>__<skill>`, within OpenAI's 64 characters of [A-Za-z0-9_-]. */
export function toolName(app: string, skill: string): string {
  return `${app}__${skill}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/** The apps' skills (those the scope allows) as the model's tools, and which skill each tool name means. */
export async function skillTools(
  registry: AppRegistry,
  environment: Environment,
  scope: SkillScope,
  audience: AppAudience = everyone,
): Promise<{ tools: unknown[]; byName: Map<string, SkillTool> }> {
  const byName = new Map<string, SkillTool>();
  const tools: unknown[] = [];
  const apps = scope.apps.map((entry) => registry.get(environment, entry.id, audience));
  // An app that cannot be reached offers no tools this time; the chat goes on without it.
  const listed = await Promise.all(apps.map((app) => app.skills().catch(() => [] as SkillDefinition[])));
  for (const [index, app] of apps.entries()) {
    const allowed = scope.apps[index]?.skills ?? null;
    for (const skill of listed[index] ?? []) {
      if (allowed && !allowed.includes(skill.name)) continue;
      const name = toolName(app.id, skill.name);
      if (byName.has(name)) continue;
      byName.set(name, { app, skill: skill.name });
      tools.push({
        type: 'function',
        function: {
          name,
          description: skill.description || `${app.name}: ${skill.name}`,
          parameters: skill.inputSchema,
        },
      });
    }
  }
  return { tools, byName };
}

const addUsage = (total: Usage | undefined, more: Usage | undefined): Usage | undefined =>
  !more
    ? total
    : {
        prompt_tokens: (total?.prompt_tokens ?? 0) + more.prompt_tokens,
        completion_tokens: (total?.completion_tokens ?? 0) + more.completion_tokens,
        total_tokens: (total?.total_tokens ?? 0) + more.total_tokens,
      };

/**
 * Runs a chat whose model may call the apps' skills: model → skill calls (in parallel) → results
 * back to the model → … until the model answers without a call. A skill that fails, times out
 * or is down gives the model an error result (and the client an event), never an HTTP error; a
 * call to a tool the client brought itself ends the loop and goes back to the client as usual.
 * More than `maxSteps` model turns end the request with SY_ERR_SKILL_STEPS_EXCEEDED.
 */
export async function runSkillLoop(
  registry: AppRegistry,
  request: ChatRequest,
  scope: SkillScope,
  context: SkillLoopContext,
  turn: ModelTurn,
): Promise<ChatCompletion> {
  const { tools, byName } = await skillTools(registry, context.environment, scope, context.audience);
  const messages: ChatMessage[] = [...request.messages];
  const clientTools = Array.isArray(request.tools) ? request.tools : [];
  let usage: Usage | undefined;
  for (let step = 1; step <= context.maxSteps; step += 1) {
    const completion = await turn({ ...request, messages, tools: [...clientTools, ...tools] });
    usage = addUsage(usage, completion.usage);
    const message = completion.choices[0]?.message;
    const calls: ToolCall[] = message?.tool_calls ?? [];
    if (calls.length === 0 || calls.some((call) => !byName.has(call.function.name))) {
      return { ...completion, ...(usage ? { usage } : {}) };
    }
    messages.push({ role: 'assistant', content: message?.content ?? null, tool_calls: calls });
    const results = await Promise.all(calls.map((call) => runCall(registry, call, byName, context)));
    messages.push(...results);
  }
  throw new SwitchyardError(
    'SY_ERR_SKILL_STEPS_EXCEEDED',
    `The model was still calling skills after ${context.maxSteps} turns (setting apps.max_steps)`,
  );
}

async function runCall(
  registry: AppRegistry,
  call: ToolCall,
  byName: Map<string, SkillTool>,
  context: SkillLoopContext,
): Promise<ChatMessage> {
  const target = byName.get(call.function.name) as SkillTool;
  const base = { id: call.id, app: target.app.id, skill: target.skill };
  let input: unknown;
  try {
    input = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch {
    input = undefined;
  }
  context.onEvent?.({ type: 'tool_call', ...base, input: input ?? call.function.arguments });
  const started = performance.now();
  let output: string;
  let isError: boolean;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    output = 'Error: the arguments must be a JSON object';
    isError = true;
  } else {
    try {
      const result = await registry.run(target.app, target.skill, {
        environment: context.environment,
        caller: context.caller,
        input: input as Record<string, unknown>,
        signal: context.signal,
        ...(context.onEvent
          ? {
              onProgress: (progress: SkillProgress) =>
                context.onEvent?.({
                  type: 'tool_progress',
                  ...base,
                  message: progress.message,
                  ...(progress.fraction !== undefined ? { fraction: progress.fraction } : {}),
                }),
            }
          : {}),
        via: 'chat',
      });
      output = result.truncated ? `${result.text}\n[output cut at the app's limit]` : result.text;
      isError = result.isError;
    } catch (error) {
      if (context.signal.aborted) throw error;
      const code = error instanceof SwitchyardError ? error.code : 'SY_ERR_INTERNAL';
      output = `Error (${code}): ${error instanceof SwitchyardError ? error.message : 'the skill failed'}`;
      isError = true;
    }
  }
  context.onEvent?.({
    type: 'tool_result',
    ...base,
    output,
    is_error: isError,
    duration_ms: Math.round((performance.now() - started) * 100) / 100,
  });
  return { role: 'tool', tool_call_id: call.id, content: output };
}

/** What a streamed chat with apps sends: each skill event as it happens, then the answer. */
export type SkillLoopItem = { kind: 'event'; event: SkillEvent } | { kind: 'answer'; completion: ChatCompletion };

/** Runs the loop and yields its events as they happen, then the final answer (or throws its error). */
export async function* skillLoopItems(
  run: (onEvent: (event: SkillEvent) => void) => Promise<ChatCompletion>,
): AsyncGenerator<SkillLoopItem> {
  const queue: SkillLoopItem[] = [];
  let wake: (() => void) | null = null;
  let settled = false;
  let failure: { error: unknown } | null = null;
  run((event) => {
    queue.push({ kind: 'event', event });
    wake?.();
  })
    .then(
      (completion) => {
        queue.push({ kind: 'answer', completion });
      },
      (error: unknown) => {
        failure = { error };
      },
    )
    .finally(() => {
      settled = true;
      wake?.();
    });
  while (true) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (settled) {
      const failed = failure as { error: unknown } | null;
      if (failed) throw failed.error;
      return;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = null;
  }
}
