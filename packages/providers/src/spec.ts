/**
 * The provider spec, version 1. Switchyard speaks the OpenAI chat-completions
 * format internally; every adapter translates between it and its upstream's
 * protocol. Adapters receive a plain config object and never touch Fastify.
 */
import type {
  ChatCompletionRequest,
  ChatMessage,
  ChatRole,
  ContentPart,
  ImageContentPart,
  TextContentPart,
  ToolCall,
} from '@switchyard/api-schemas';

export const providerSpecVersion = 1 as const;

// The request side is the HTTP API's own shape (@switchyard/api-schemas), so validation, the
// OpenAPI document and the adapters cannot drift apart. The edge drops fields sent as null
// (OpenAI clients send `stop: null`), so adapters only ever see a value or nothing.
export type { ChatMessage, ChatRole, ContentPart, ImageContentPart, TextContentPart, ToolCall };

/** Fields the client sent as null are gone: a value or nothing. */
export type WithoutNulls<T> = { [K in keyof T]: Exclude<T[K], null> };

/** A piece of a streamed tool call: the first piece names it, later ones append to `arguments`. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/**
 * An OpenAI chat-completions request body (POST /v1/chat/completions without the HTTP-only
 * `stream` fields, nulls removed), with `model` already resolved to the upstream model name.
 * Unknown fields pass through to upstreams that speak OpenAI.
 */
export type ChatRequest = WithoutNulls<Omit<ChatCompletionRequest, 'stream' | 'stream_options'>> & {
  [extra: string]: unknown;
};

export const isTextPart = (part: ContentPart): part is TextContentPart => part.type === 'text';
export const isImagePart = (part: ContentPart): part is ImageContentPart => part.type === 'image_url';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] };
    finish_reason: FinishReason;
    logprobs?: null;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: ToolCallDelta[];
    };
    finish_reason: FinishReason;
    logprobs?: null;
  }>;
  usage?: Usage | null;
}

export interface UpstreamModel {
  /** The model name the upstream knows it by. */
  id: string;
  ownedBy?: string;
}

export interface CallOptions {
  /** Aborted when the client disconnects or a deadline passes; adapters must abort the upstream request. */
  signal?: AbortSignal;
}

/** An OpenAI embeddings request body, with `model` already resolved to the upstream model name. */
export interface EmbeddingsRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
  /** Only floats: adapters always ask their upstream for floats; base64 is a concern of the HTTP layer. */
  encoding_format?: 'float';
  user?: string;
}

export interface Embedding {
  object: 'embedding';
  index: number;
  embedding: number[];
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * A legacy OpenAI completions request (POST /v1/completions), `model` resolved to the upstream
 * model name. `prompt` is one string or several (one answer each); unknown fields pass through
 * to upstreams that speak OpenAI.
 */
export interface TextCompletionRequest {
  model: string;
  prompt: string | string[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  n?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  echo?: boolean;
  suffix?: string;
  logprobs?: number;
  best_of?: number;
  user?: string;
  [extra: string]: unknown;
}

export interface TextCompletionChoice {
  /** With several prompts and n choices each, prompt p's choice c is at p * n + c. */
  index: number;
  text: string;
  finish_reason: FinishReason;
  logprobs: unknown;
}

/** OpenAI's `text_completion` object. */
export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: TextCompletionChoice[];
  usage?: Usage;
  system_fingerprint?: string | null;
}

/** One chunk of a streamed completion (also `object: 'text_completion'`); usage rides on the last. */
export interface TextCompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: TextCompletionChoice[];
  usage?: Usage | null;
}

/** An OpenAI moderations request, `model` resolved to the upstream model name. */
export interface ModerationRequest {
  model: string;
  /** A string, strings, or OpenAI's multimodal parts (`{type:'text',text}` / `{type:'image_url',image_url:{url}}`). */
  input: string | string[] | Array<Record<string, unknown>>;
}

/** OpenAI's moderation answer, passed on as the upstream sent it. */
export interface ModerationResponse {
  id: string;
  model: string;
  results: Array<Record<string, unknown>>;
}

export interface ProviderConfig {
  /** Our name for this provider instance, e.g. `openai` or `local-ollama`. */
  id: string;
  type: 'openai-compatible' | 'ollama' | 'anthropic' | 'gemini' | 'echo';
  baseURL: string;
  apiKey?: string;
  /** Extra headers sent with every upstream request. */
  headers?: Record<string, string>;
  /**
   * Total time allowed for one upstream request, in milliseconds. Streams may run
   * longer while tokens keep coming: for them it bounds the wait for the response
   * and for each next chunk.
   */
  timeoutMs?: number;
  /** Time allowed to open the TCP/TLS connection. Default: min(timeoutMs, 10 s). */
  connectTimeoutMs?: number;
  /** Streaming: time allowed until the first chunk arrives. Default: timeoutMs. */
  firstTokenTimeoutMs?: number;
  /** Streaming: longest silence allowed between two chunks. Default: timeoutMs. */
  idleTimeoutMs?: number;
  /** The whole exchange, streams included. Default: none for streams, timeoutMs otherwise. */
  totalTimeoutMs?: number;
  /** Outbound HTTP(S) proxy for this provider, e.g. `http://proxy.internal:3128`. */
  proxy?: string;
  /** Echo provider only: pause between streamed words, to simulate a slow model. */
  echoDelayMs?: number;
}

export interface ProviderAdapter {
  readonly specVersion: typeof providerSpecVersion;
  readonly id: string;
  readonly type: ProviderConfig['type'];
  /** The upstream's models; throws SwitchyardError when the upstream cannot be reached. */
  listModels(options?: CallOptions): Promise<UpstreamModel[]>;
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatCompletion>;
  /** Yields OpenAI-format chunks; the last chunk carries `usage` when the upstream reports it. */
  streamChat(request: ChatRequest, options?: CallOptions): AsyncIterable<ChatCompletionChunk>;
  /** Present only when the upstream can embed text; one vector per input, in input order. */
  embed?(request: EmbeddingsRequest, options?: CallOptions): Promise<EmbeddingsResponse>;
  /**
   * Present only when the upstream has a text-completions endpoint of its own (OpenAI's
   * /v1/completions, Ollama's /api/generate); see text-completion.ts for the others.
   */
  completeText?(request: TextCompletionRequest, options?: CallOptions): Promise<TextCompletion>;
  /** Yields `text_completion` chunks; the last carries `usage` when the upstream reports it. */
  streamText?(request: TextCompletionRequest, options?: CallOptions): AsyncIterable<TextCompletionChunk>;
  /** Present only when the upstream serves OpenAI's /v1/moderations. */
  moderate?(request: ModerationRequest, options?: CallOptions): Promise<ModerationResponse>;
  close(): Promise<void>;
}
