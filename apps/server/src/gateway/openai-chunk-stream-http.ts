import type { SecretScrubber } from '@switchyard/core';
import type { Usage } from '@switchyard/providers';
import type { FastifyBaseLogger } from 'fastify';
import { errorBody, normalizeError } from '../edge/error-handler';

/** What a streamed OpenAI chunk has in common, chat (`chat.completion.chunk`) or legacy (`text_completion`). */
interface OpenAIChunk {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly choices: readonly unknown[];
  readonly usage?: Usage | null;
}

export interface OpenAIChunkStreamOptions {
  /** The chunks' `object`, repeated on the final usage chunk. */
  readonly object: 'chat.completion.chunk' | 'text_completion';
  /** `stream_options.include_usage`: every chunk says `usage: null`, and one more chunk carries the usage. */
  readonly includeUsage: boolean;
  /** Called with the upstream's usage when a chunk brings it (the request's usage row). */
  readonly onUsage: (usage: Usage) => void;
  readonly log: FastifyBaseLogger;
  readonly secrets: SecretScrubber;
}

/**
 * The frames of an OpenAI stream (for sendEventStream): `data: {chunk}` for each chunk with choices,
 * the usage chunk when asked for, `data: [DONE]`; an upstream failure after the first chunk becomes an
 * error frame, which tells clients the answer is incomplete, followed by `[DONE]` as they expect.
 */
export function openAIChunkStream<Chunk extends OpenAIChunk>(options: OpenAIChunkStreamOptions) {
  let usage: Usage | null = null;
  let last: Chunk | null = null;
  return {
    frame(chunk: Chunk): string | null {
      last = chunk;
      if (chunk.usage) {
        usage = chunk.usage;
        options.onUsage(chunk.usage);
      }
      if (chunk.choices.length === 0) return null;
      const { usage: _dropped, ...withoutUsage } = chunk;
      return `data: ${JSON.stringify(options.includeUsage ? { ...withoutUsage, usage: null } : withoutUsage)}\n\n`;
    },
    end(): string {
      const final = last as Chunk | null;
      const usageFrame =
        options.includeUsage && usage && final
          ? `data: ${JSON.stringify({
              id: final.id,
              object: options.object,
              created: final.created,
              model: final.model,
              choices: [],
              usage,
            })}\n\n`
          : '';
      return `${usageFrame}data: [DONE]\n\n`;
    },
    error(error: unknown): string {
      const normalized = normalizeError(error);
      options.log.warn({ code: normalized.code }, 'stream ended by an upstream error');
      return `data: ${JSON.stringify(errorBody(normalized, true, options.secrets))}\n\ndata: [DONE]\n\n`;
    },
  };
}
