import { SwitchyardError } from '@switchyard/core';
import Type, { type Static } from 'typebox';
import { createCompletionId, createToolCallId, unixSeconds } from '../completion-id';
import { type UpstreamErrorContext, upstreamProtocolError, upstreamStreamError } from '../errors';
import { textOfContent } from '../message-text';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  FinishReason,
  ToolCall,
  UpstreamModel,
  Usage,
} from '../spec';
import { isImagePart, isTextPart } from '../spec';
import { type UpstreamShape, upstreamShape } from '../upstream-shape';

/** Google's Gemini API, v1beta (https://ai.google.dev/api/generate-content). */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown> };
  thoughtSignature?: string;
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
  generationConfig?: Record<string, unknown>;
  tools?: Array<{ functionDeclarations: Array<Record<string, unknown>> }>;
  toolConfig?: { functionCallingConfig: Record<string, unknown> };
}

/** A GenerateContentResponse (whole, or one frame of a stream), as far as it is read here. */
const usageSchema = Type.Object({
  promptTokenCount: Type.Optional(Type.Number()),
  candidatesTokenCount: Type.Optional(Type.Number()),
  thoughtsTokenCount: Type.Optional(Type.Number()),
  totalTokenCount: Type.Optional(Type.Number()),
});
type GeminiUsage = Static<typeof usageSchema>;
const responseSchema = Type.Object({
  candidates: Type.Optional(
    Type.Array(
      Type.Object({
        content: Type.Optional(
          Type.Object({
            parts: Type.Optional(
              Type.Array(
                Type.Object({
                  text: Type.Optional(Type.String()),
                  thought: Type.Optional(Type.Boolean()),
                  functionCall: Type.Optional(
                    Type.Object({
                      name: Type.String(),
                      args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
                    }),
                  ),
                  thoughtSignature: Type.Optional(Type.String()),
                }),
              ),
            ),
          }),
        ),
        finishReason: Type.Optional(Type.String()),
      }),
    ),
  ),
  promptFeedback: Type.Optional(Type.Object({ blockReason: Type.Optional(Type.String()) })),
  usageMetadata: Type.Optional(usageSchema),
  modelVersion: Type.Optional(Type.String()),
});
type GeminiResponse = Static<typeof responseSchema>;
const answerShape = upstreamShape('an answer', responseSchema);
const frameShape = upstreamShape('a stream event', responseSchema);

/**
 * Gemini 3 rejects a replayed function call without the thought signature it
 * came with, and the OpenAI format has no field for it, so it rides inside the
 * tool call id, which clients hand back unchanged.
 */
const signatureSeparator = '__thought__';
/** Google's documented stand-in for calls whose signature was lost (history from another model, an old client). */
const skipSignatureValidation = 'skip_thought_signature_validator';

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_VALIDATION', message, { isRetryable: false });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `models/x` for plain names; tuned models and full resource names pass through. */
export function geminiModelResource(model: string): string {
  const name = model.includes('/') ? model : `models/${model}`;
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Only inline data: fetching remote image URLs on a client's behalf would be an SSRF hole. */
function inlineImage(url: string): GeminiPart {
  const match = /^data:([^,]*?),(.*)$/s.exec(url);
  if (match === null) throw invalid('Gemini models accept images only as data: URLs');
  const [, meta = '', payload = ''] = match;
  const isBase64 = meta.endsWith(';base64');
  const mimeType = (isBase64 ? meta.slice(0, -';base64'.length) : meta).split(';')[0] || 'image/png';
  const data = isBase64 ? payload : Buffer.from(decodeURIComponent(payload)).toString('base64');
  return { inlineData: { mimeType, data } };
}

function jsonObject(raw: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw invalid(`${what} must be a JSON object`);
  }
  if (!isRecord(parsed)) throw invalid(`${what} must be a JSON object`);
  return parsed;
}

function contentParts(content: ChatMessage['content']): GeminiPart[] {
  if (content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: GeminiPart[] = [];
  for (const part of content) {
    // Gemini rejects empty text parts.
    if (isTextPart(part) && part.text !== '') parts.push({ text: part.text });
    else if (isImagePart(part)) parts.push(inlineImage(part.image_url.url));
  }
  return parts;
}

export function toolCallIdWithSignature(signature: string | undefined): string {
  const id = createToolCallId();
  return signature === undefined || signature === '' ? id : `${id}${signatureSeparator}${signature}`;
}

function signatureOf(toolCallId: string): string | undefined {
  const at = toolCallId.indexOf(signatureSeparator);
  return at === -1 ? undefined : toolCallId.slice(at + signatureSeparator.length);
}

function modelParts(message: ChatMessage): GeminiPart[] {
  const parts = contentParts(message.content);
  const calls = message.tool_calls ?? [];
  calls.forEach((call, position) => {
    const part: GeminiPart = {
      functionCall: { name: call.function.name, args: jsonObject(call.function.arguments, 'Tool call arguments') },
    };
    // Of parallel calls only the first carries a signature, as Gemini itself sends them.
    const signature = signatureOf(call.id) ?? (position === 0 ? skipSignatureValidation : undefined);
    if (signature !== undefined) part.thoughtSignature = signature;
    parts.push(part);
  });
  return parts;
}

function toolResponse(content: ChatMessage['content']): Record<string, unknown> {
  const text = textOfContent(content);
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return parsed;
    return { result: parsed };
  } catch {
    return { result: text };
  }
}

function functionDeclarations(tools: unknown[]): Array<Record<string, unknown>> {
  const declarations: Array<Record<string, unknown>> = [];
  for (const tool of tools) {
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) continue;
    const { name, description, parameters } = tool.function;
    if (typeof name !== 'string') throw invalid('Every function tool needs a name');
    const declaration: Record<string, unknown> = { name };
    if (typeof description === 'string') declaration.description = description;
    // parametersJsonSchema takes full JSON Schema; the older `parameters` field rejects common keywords.
    if (isRecord(parameters)) declaration.parametersJsonSchema = parameters;
    declarations.push(declaration);
  }
  return declarations;
}

function functionCallingConfig(choice: unknown): Record<string, unknown> | undefined {
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  }
  return undefined;
}

function generationConfig(request: ChatRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== undefined) config.topP = request.top_p;
  if (typeof request.top_k === 'number') config.topK = request.top_k;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (request.stop !== undefined)
    config.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presence_penalty !== undefined) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    const schema = (format.json_schema as { schema?: unknown } | undefined)?.schema;
    if (isRecord(schema)) config.responseJsonSchema = schema;
  }
  return config;
}

export function toGeminiRequest(request: ChatRequest): GeminiRequest {
  const systemTexts: string[] = [];
  const contents: GeminiContent[] = [];
  // A function response must name its function, while OpenAI tool messages only carry the call id.
  const toolNames = new Map<string, string>();

  function append(role: GeminiContent['role'], parts: GeminiPart[]): void {
    if (parts.length === 0) return;
    const previous = contents.at(-1);
    // Responses to parallel calls belong in one turn, and Gemini expects turns to alternate.
    if (previous?.role === role) previous.parts.push(...parts);
    else contents.push({ role, parts });
  }

  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOfContent(message.content);
        if (text !== '') systemTexts.push(text);
        break;
      }
      case 'user':
        append('user', contentParts(message.content));
        break;
      case 'assistant':
        for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
        append('model', modelParts(message));
        break;
      case 'tool': {
        const name =
          (message.tool_call_id === undefined ? undefined : toolNames.get(message.tool_call_id)) ?? message.name;
        if (name === undefined)
          throw invalid('A tool message must answer a tool call made earlier in the conversation');
        append('user', [{ functionResponse: { name, response: toolResponse(message.content) } }]);
        break;
      }
    }
  }

  const body: GeminiRequest = { contents };
  if (systemTexts.length > 0) body.systemInstruction = { parts: [{ text: systemTexts.join('\n\n') }] };
  const config = generationConfig(request);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  if (request.tools !== undefined && request.tools.length > 0) {
    const declarations = functionDeclarations(request.tools);
    if (declarations.length > 0) {
      body.tools = [{ functionDeclarations: declarations }];
      const callingConfig = functionCallingConfig(request.tool_choice);
      if (callingConfig !== undefined) body.toolConfig = { functionCallingConfig: callingConfig };
    }
  }
  return body;
}

const filteredReasons = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

function finishReasonOf(reason: string | undefined, sawToolCalls: boolean): FinishReason {
  if (reason !== undefined && filteredReasons.has(reason)) return 'content_filter';
  if (reason === 'MAX_TOKENS') return 'length';
  // Gemini reports a function call as a plain STOP.
  return sawToolCalls ? 'tool_calls' : 'stop';
}

function usageOf(usage: GeminiUsage | undefined): Usage {
  const promptTokens = usage?.promptTokenCount ?? 0;
  // Thinking tokens are billed as output, as OpenAI counts reasoning tokens in completion_tokens.
  const completionTokens = (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: usage?.totalTokenCount ?? promptTokens + completionTokens,
  };
}

function asResponse(
  value: unknown,
  shape: UpstreamShape<GeminiResponse>,
  context: UpstreamErrorContext,
): GeminiResponse {
  if (!isRecord(value)) throw upstreamProtocolError(context, 'sent an unreadable answer');
  if (value.error !== undefined && value.error !== null) throw upstreamStreamError(context, value);
  return shape.read(value, context);
}

interface CandidateOutput {
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | undefined;
}

function readCandidate(response: GeminiResponse): CandidateOutput {
  const candidate = response.candidates?.[0];
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    // Thought summaries are the model's reasoning, not its answer.
    if (part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    if (part.functionCall !== undefined) {
      toolCalls.push({
        id: toolCallIdWithSignature(part.thoughtSignature),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    }
  }
  // A prompt blocked before generation comes back without candidates, only a block reason.
  const finishReason =
    candidate?.finishReason ?? (response.promptFeedback?.blockReason === undefined ? undefined : 'SAFETY');
  return { text, toolCalls, finishReason };
}

export function fromGeminiResponse(
  value: unknown,
  request: ChatRequest,
  context: UpstreamErrorContext,
): ChatCompletion {
  const response = asResponse(value, answerShape, context);
  if (response.candidates === undefined && response.promptFeedback === undefined) {
    throw upstreamProtocolError(context, 'answered without candidates');
  }
  const output = readCandidate(response);
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: output.text === '' && output.toolCalls.length > 0 ? null : output.text,
  };
  if (output.toolCalls.length > 0) message.tool_calls = output.toolCalls;
  return {
    id: createCompletionId(),
    object: 'chat.completion',
    created: unixSeconds(),
    model: response.modelVersion ?? request.model,
    choices: [
      {
        index: 0,
        message,
        finish_reason: finishReasonOf(output.finishReason, output.toolCalls.length > 0),
        logprobs: null,
      },
    ],
    usage: usageOf(response.usageMetadata),
  };
}

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/**
 * Turns SSE frames (each a partial GenerateContentResponse) into OpenAI chunks
 * that share one id. Gemini has no end marker besides a finish reason, so the
 * closing chunk with usage is produced by `finish()` once the body has ended.
 */
export function createGeminiStreamTranslator(request: ChatRequest, context: UpstreamErrorContext) {
  const id = createCompletionId();
  const created = unixSeconds();
  let model = request.model;
  let sentRole = false;
  let toolCallCount = 0;
  let finishReason: string | undefined;
  let usage: GeminiUsage | undefined;

  function chunk(delta: Delta, reason: FinishReason = null): ChatCompletionChunk {
    return {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: reason, logprobs: null }],
    };
  }

  return {
    /** True once a finish reason arrived: whatever follows cannot change the answer. */
    get finished() {
      return finishReason !== undefined;
    },
    translate(data: string): ChatCompletionChunk[] {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch (error) {
        throw upstreamProtocolError(context, 'sent an unreadable stream event', error);
      }
      const response = asResponse(parsed, frameShape, context);
      if (typeof response.modelVersion === 'string') model = response.modelVersion;
      if (response.usageMetadata !== undefined) usage = response.usageMetadata;
      const output = readCandidate(response);
      if (output.finishReason !== undefined) finishReason = output.finishReason;
      if (sentRole && output.text === '' && output.toolCalls.length === 0) return [];
      const delta: Delta = { content: output.text };
      if (!sentRole) delta.role = 'assistant';
      sentRole = true;
      if (output.toolCalls.length > 0) {
        delta.tool_calls = output.toolCalls.map((call) => ({ ...call, index: toolCallCount++ }));
      }
      return [chunk(delta)];
    },
    finish(): ChatCompletionChunk {
      const final = chunk({}, finishReasonOf(finishReason, toolCallCount > 0));
      final.usage = usageOf(usage);
      return final;
    },
  };
}

export function fromGeminiModels(
  body: unknown,
  context: UpstreamErrorContext,
): { models: UpstreamModel[]; next?: string } {
  if (!isRecord(body)) throw upstreamProtocolError(context, 'answered the model list with something unreadable');
  // An empty page comes back as `{}`.
  const entries = Array.isArray(body.models) ? body.models : [];
  const models: UpstreamModel[] = [];
  for (const entry of entries) {
    if (!isRecord(entry) || typeof entry.name !== 'string') continue;
    const methods = Array.isArray(entry.supportedGenerationMethods) ? entry.supportedGenerationMethods : undefined;
    // Only models Switchyard can call; the list also holds e.g. answer-only and Imagen models.
    if (methods !== undefined && !methods.some((method) => method === 'generateContent' || method === 'embedContent')) {
      continue;
    }
    models.push({ id: entry.name.replace(/^models\//, ''), ownedBy: 'google' });
  }
  const next = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
  return next === undefined ? { models } : { models, next };
}

export function toGeminiEmbedRequest(request: EmbeddingsRequest): Record<string, unknown> {
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  const model = `models/${request.model.replace(/^models\//, '')}`;
  return {
    requests: inputs.map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
    })),
  };
}

const embeddingsShape = upstreamShape(
  'embeddings',
  Type.Object({ embeddings: Type.Array(Type.Object({ values: Type.Array(Type.Number()) })) }),
);

export function fromGeminiEmbeddings(
  body: unknown,
  request: EmbeddingsRequest,
  context: UpstreamErrorContext,
): EmbeddingsResponse {
  const { embeddings } = embeddingsShape.read(body, context);
  const data = embeddings.map((entry, index) => ({ object: 'embedding' as const, index, embedding: entry.values }));
  // batchEmbedContents reports no token counts.
  return { object: 'list', data, model: request.model, usage: { prompt_tokens: 0, total_tokens: 0 } };
}
