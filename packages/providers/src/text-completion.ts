import { randomBytes } from 'node:crypto';
import { unixSeconds } from './completion-id';
import type {
  CallOptions,
  ChatCompletion,
  ChatRequest,
  FinishReason,
  ProviderAdapter,
  ProviderConfig,
  TextCompletion,
  TextCompletionChunk,
  TextCompletionRequest,
  Usage,
} from './spec';

/**
 * Legacy text completions (OpenAI's POST /v1/completions) on every provider type.
 *
 * - OpenAI-compatible upstreams have the endpoint: the request passes through as it is.
 * - Ollama has /api/generate, which takes a raw prompt (no chat template).
 * - Anthropic, Gemini and echo have no completions endpoint: each prompt is sent as a single user
 *   chat turn (no system prompt, no template) and the assistant's reply is the completion's text.
 *   A chat model answers a prompt rather than continuing it, so `echo`, `suffix`, `logprobs`,
 *   `best_of` and `n > 1` are refused for them (see textCompletionSupport) instead of faked.
 */
export interface TextCompletionSupport {
  /** The upstream has a completions endpoint of its own (else: one user chat turn per prompt). */
  native: boolean;
  /** More than one choice per prompt (`n`, `best_of`). */
  choices: boolean;
  echo: boolean;
  suffix: boolean;
  logprobs: boolean;
}

export function textCompletionSupport(type: ProviderConfig['type']): TextCompletionSupport {
  if (type === 'openai-compatible') return { native: true, choices: true, echo: true, suffix: true, logprobs: true };
  // Ollama's /api/generate fills in the middle with `suffix` on models whose template supports it.
  if (type === 'ollama') return { native: true, choices: false, echo: false, suffix: true, logprobs: false };
  return { native: false, choices: false, echo: false, suffix: false, logprobs: false };
}

export function promptsOf(request: Pick<TextCompletionRequest, 'prompt'>): string[] {
  return typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
}

/** Same shape as OpenAI's completion ids (`cmpl-...`). */
export function createTextCompletionId(): string {
  return `cmpl-${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export function addUsage(total: Usage | undefined, more: Usage | null | undefined): Usage | undefined {
  if (!more) return total;
  if (!total) return { ...more };
  return {
    prompt_tokens: total.prompt_tokens + more.prompt_tokens,
    completion_tokens: total.completion_tokens + more.completion_tokens,
    total_tokens: total.total_tokens + more.total_tokens,
  };
}

/** One prompt as one user chat turn, with the sampling fields chat shares with completions. */
export function chatRequestOfPrompt(request: TextCompletionRequest, prompt: string): ChatRequest {
  const chat: ChatRequest = { model: request.model, messages: [{ role: 'user', content: prompt }] };
  if (request.max_tokens !== undefined) chat.max_tokens = request.max_tokens;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  if (request.stop !== undefined) chat.stop = request.stop;
  if (request.seed !== undefined) chat.seed = request.seed;
  if (request.presence_penalty !== undefined) chat.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) chat.frequency_penalty = request.frequency_penalty;
  if (request.user !== undefined) chat.user = request.user;
  return chat;
}

function textFinish(reason: FinishReason): FinishReason {
  // A completion has no tool calls; anything else a chat model reports is passed on.
  return reason === 'tool_calls' ? 'stop' : reason;
}

async function completeViaChat(
  adapter: ProviderAdapter,
  request: TextCompletionRequest,
  options: CallOptions,
): Promise<TextCompletion> {
  const answers: ChatCompletion[] = [];
  // One prompt after another: the same upstream load as a client sending them in turn.
  for (const prompt of promptsOf(request))
    answers.push(await adapter.chat(chatRequestOfPrompt(request, prompt), options));
  let usage: Usage | undefined;
  for (const answer of answers) usage = addUsage(usage, answer.usage);
  return {
    id: createTextCompletionId(),
    object: 'text_completion',
    created: answers[0]?.created ?? unixSeconds(),
    model: answers[0]?.model ?? request.model,
    choices: answers.map((answer, index) => {
      const choice = answer.choices[0];
      return {
        index,
        text: typeof choice?.message.content === 'string' ? choice.message.content : '',
        finish_reason: textFinish(choice?.finish_reason ?? 'stop'),
        logprobs: null,
      };
    }),
    ...(usage ? { usage } : {}),
  };
}

async function* streamViaChat(
  adapter: ProviderAdapter,
  request: TextCompletionRequest,
  options: CallOptions,
): AsyncGenerator<TextCompletionChunk> {
  const id = createTextCompletionId();
  const created = unixSeconds();
  let usage: Usage | undefined;
  let model = request.model;
  const prompts = promptsOf(request);
  for (const [index, prompt] of prompts.entries()) {
    for await (const chunk of adapter.streamChat(chatRequestOfPrompt(request, prompt), options)) {
      model = chunk.model || model;
      usage = addUsage(usage, chunk.usage);
      const choice = chunk.choices[0];
      if (!choice) continue;
      const text = typeof choice.delta.content === 'string' ? choice.delta.content : '';
      if (text === '' && !choice.finish_reason) continue;
      yield {
        id,
        object: 'text_completion',
        created,
        model,
        choices: [
          {
            index,
            text,
            finish_reason: choice.finish_reason ? textFinish(choice.finish_reason) : null,
            logprobs: null,
          },
        ],
      };
    }
  }
  if (usage) yield { id, object: 'text_completion', created, model, choices: [], usage };
}

/** A whole completion: the upstream's own endpoint, or one chat turn per prompt. */
export function completeTextWith(
  adapter: ProviderAdapter,
  request: TextCompletionRequest,
  options: CallOptions = {},
): Promise<TextCompletion> {
  return adapter.completeText ? adapter.completeText(request, options) : completeViaChat(adapter, request, options);
}

/** A streamed completion: the upstream's own stream, or one chat stream per prompt. */
export function streamTextWith(
  adapter: ProviderAdapter,
  request: TextCompletionRequest,
  options: CallOptions = {},
): AsyncIterable<TextCompletionChunk> {
  return adapter.streamText ? adapter.streamText(request, options) : streamViaChat(adapter, request, options);
}
