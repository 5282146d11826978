import { createCompletionId, unixSeconds } from '../completion-id';
import { lastUserText, textOfContent } from '../message-text';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, FinishReason, Usage } from '../spec';

/**
 * The echo model answers with the last user message, so tests and health checks
 * get a deterministic answer without any upstream.
 */
export function echoAnswer(request: ChatRequest): string {
  return lastUserText(request.messages);
}

/** Pieces that concatenate back to the exact input: each word with the whitespace after it (and any before the first). */
export function splitIntoWords(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}

/** A deterministic stand-in for a tokenizer: one token per whitespace-separated word. */
export function countTokens(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

export function echoUsage(request: ChatRequest, answer: string): Usage {
  const promptTokens = request.messages.reduce((sum, message) => sum + countTokens(textOfContent(message.content)), 0);
  const completionTokens = countTokens(answer);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export function echoCompletion(request: ChatRequest, answer: string): ChatCompletion {
  return {
    id: createCompletionId(),
    object: 'chat.completion',
    created: unixSeconds(),
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop', logprobs: null }],
    usage: echoUsage(request, answer),
  };
}

export function createEchoChunkFactory(request: ChatRequest) {
  const id = createCompletionId();
  const created = unixSeconds();
  return (
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finishReason: FinishReason = null,
    usage?: Usage,
  ): ChatCompletionChunk => {
    const chunk: ChatCompletionChunk = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: request.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    };
    if (usage !== undefined) chunk.usage = usage;
    return chunk;
  };
}
