import Type, { type Static } from 'typebox';
import { unixSeconds } from '../completion-id';
import { type UpstreamErrorContext, upstreamProtocolError, upstreamStreamError } from '../errors';
import type { FinishReason, TextCompletionChunk, TextCompletionRequest, Usage } from '../spec';
import { upstreamShape } from '../upstream-shape';

/**
 * Legacy completions on Ollama's `/api/generate` (https://docs.ollama.com/api/generate): the prompt
 * is sent raw (`raw: true`, no chat template) so the model continues it, as /v1/completions does.
 * With a `suffix` the template is kept: it is what lays out prefix and suffix for fill-in-the-middle.
 */
export function toOllamaGenerateRequest(
  request: TextCompletionRequest,
  prompt: string,
  stream: boolean,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (request.options !== null && typeof request.options === 'object') Object.assign(options, request.options);
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.top_p !== undefined) options.top_p = request.top_p;
  if (request.max_tokens !== undefined) options.num_predict = request.max_tokens;
  if (request.stop !== undefined) options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.presence_penalty !== undefined) options.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) options.frequency_penalty = request.frequency_penalty;
  const body: Record<string, unknown> = { model: request.model, prompt, stream };
  if (request.suffix !== undefined) body.suffix = request.suffix;
  else body.raw = true;
  if (Object.keys(options).length > 0) body.options = options;
  return body;
}

const generateSchema = Type.Object({
  model: Type.Optional(Type.String()),
  created_at: Type.Optional(Type.String()),
  response: Type.Optional(Type.String()),
  done: Type.Optional(Type.Boolean()),
  done_reason: Type.Optional(Type.String()),
  prompt_eval_count: Type.Optional(Type.Number()),
  eval_count: Type.Optional(Type.Number()),
});
type GenerateLine = Static<typeof generateSchema>;
const generateAnswer = upstreamShape('an answer', generateSchema);
const generateLine = upstreamShape('a stream line', generateSchema);

export function readGenerateLine(value: unknown, context: UpstreamErrorContext, streamed: boolean): GenerateLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw upstreamProtocolError(context, 'sent an unreadable answer');
  }
  if ((value as { error?: unknown }).error !== undefined) throw upstreamStreamError(context, value);
  return (streamed ? generateLine : generateAnswer).read(value, context);
}

export function parseGenerateLine(line: string, context: UpstreamErrorContext): GenerateLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw upstreamProtocolError(context, 'sent an unreadable stream line', error);
  }
  return readGenerateLine(parsed, context, true);
}

export function generateFinish(line: GenerateLine): FinishReason {
  return line.done_reason === 'length' ? 'length' : 'stop';
}

export function generateUsage(line: GenerateLine): Usage {
  const promptTokens = line.prompt_eval_count ?? 0;
  const completionTokens = line.eval_count ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** Turns the NDJSON lines of one prompt's stream into `text_completion` chunks with that prompt's index. */
export function generateChunk(
  line: GenerateLine,
  id: string,
  index: number,
  request: TextCompletionRequest,
): TextCompletionChunk | null {
  const text = line.response ?? '';
  if (text === '' && line.done !== true) return null;
  return {
    id,
    object: 'text_completion',
    created: unixSeconds(),
    model: line.model ?? request.model,
    choices: [{ index, text, finish_reason: line.done === true ? generateFinish(line) : null, logprobs: null }],
  };
}
