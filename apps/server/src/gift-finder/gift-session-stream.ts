import { SwitchyardError } from '@switchyard/core';
import type { EventEnvelope } from '@switchyard/events';
import { followChanges, type Heartbeat } from '../edge/follow-changes';
import type { FlowEntry, FlowService } from '../events/flows';
import type { GiftEvent } from './gift-events';
import { wireProduct } from './gift-session-wire';

/** One SSE message of a session's stream. */
export interface GiftStreamMessage {
  /** `N` (the flow log's sequence) or `N.k` for the k-th of several messages one event became. */
  id: string;
  event: 'question' | 'answer' | 'stage' | 'products' | 'ranking' | 'refused' | 'done';
  data: unknown;
}

type Frame = Omit<GiftStreamMessage, 'id'>;

const stageNames = new Set(['interview', 'profile', 'ideas', 'fetch', 'rerank']);

function messageOf(message: { id: string; text: string; createdAt: string }, role: 'assistant' | 'user') {
  return { id: message.id, role, text: message.text, created_at: message.createdAt };
}

/** What clients see of one recorded event: none, one or several messages. */
export function framesOf(event: EventEnvelope): Frame[] {
  switch (event.name) {
    case 'ChatQuestionAsked':
      return [
        {
          event: 'question',
          data: { message: messageOf((event as GiftEvent<'ChatQuestionAsked'>).payload.message, 'assistant') },
        },
      ];
    case 'ChatUserAnswered':
      return [
        {
          event: 'answer',
          data: { message: messageOf((event as GiftEvent<'ChatUserAnswered'>).payload.message, 'user') },
        },
      ];
    case 'FlowStageChanged': {
      const payload = event.payload as { stage: string; status: string; message?: string; progress?: number };
      if (!stageNames.has(payload.stage)) return [];
      return [
        {
          event: 'stage',
          data: {
            stage: payload.stage,
            status: payload.status === 'progress' ? 'started' : payload.status,
            ...(payload.message !== undefined ? { message: payload.message } : {}),
            ...(payload.progress !== undefined ? { progress: payload.progress } : {}),
          },
        },
      ];
    }
    case 'ProductsFetched': {
      const { marketplace, results } = (event as GiftEvent<'ProductsFetched'>).payload;
      return results
        .filter((result) => result.products.length > 0)
        .map((result) => ({
          event: 'products' as const,
          data: { idea_id: result.ideaId, marketplace, products: result.products.map(wireProduct) },
        }));
    }
    case 'GiftReady': {
      const { ranking, products } = (event as GiftEvent<'GiftReady'>).payload;
      return [
        {
          event: 'ranking',
          data: {
            ranking: ranking.map((entry) => ({
              product_id: entry.productId,
              score: entry.score,
              reason: entry.reason,
            })),
            products: products.map(wireProduct),
          },
        },
        { event: 'done', data: { status: 'ready' } },
      ];
    }
    case 'ChatInappropriateRequest': {
      const { message } = (event as GiftEvent<'ChatInappropriateRequest'>).payload;
      return [
        { event: 'refused', data: { message: messageOf(message, 'assistant') } },
        { event: 'done', data: { status: 'refused' } },
      ];
    }
    case 'GiftSessionFailed':
      return [{ event: 'done', data: { status: 'failed' } }];
    default:
      return [];
  }
}

/** Reads Last-Event-ID: `N` resumes after event N, `N.k` after the k-th message of event N. */
export function parseLastEventId(header: string | string[] | undefined): { sequence: number; part: number } {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return { sequence: 0, part: Number.POSITIVE_INFINITY };
  const match = /^(\d{1,15})(?:\.(\d{1,4}))?$/.exec(value);
  if (!match) throw new SwitchyardError('SY_ERR_VALIDATION', 'Last-Event-ID must be an id this stream sent');
  return { sequence: Number(match[1]), part: match[2] === undefined ? Number.POSITIVE_INFINITY : Number(match[2]) };
}

function messagesOf(entry: FlowEntry, afterPart: number): GiftStreamMessage[] {
  const frames = framesOf(entry.event);
  return frames
    .map((frame, index) => ({
      ...frame,
      // The last message of an event carries the plain sequence: resuming from it skips the whole event.
      id: index === frames.length - 1 ? String(entry.sequence) : `${entry.sequence}.${index}`,
      index,
    }))
    .filter((message) => message.index > afterPart)
    .map(({ index: _index, ...message }) => message);
}

export type StreamItem = { kind: 'message'; message: GiftStreamMessage } | Heartbeat;

/**
 * A session's messages from the flow log (which any API process reads): those after Last-Event-ID,
 * then each new one as any process records it, until `done`. A stream resumed after its `done` ends at once.
 */
export function followSession(
  flows: FlowService,
  sessionId: string,
  after: { sequence: number; part: number },
  signal: AbortSignal,
  heartbeatMs: number,
): AsyncGenerator<StreamItem> {
  let sequence = after.sequence;
  let part = after.part;
  return followChanges<StreamItem>({
    watch: (onChange) => flows.watch(sessionId, onChange),
    signal,
    heartbeatMs,
    async *start() {
      // Already over before the resume point: nothing more will come.
      let position = 0;
      while (position < after.sequence) {
        const entries = await flows.read(sessionId, position);
        if (entries.length === 0) break;
        for (const entry of entries) {
          if (entry.sequence > after.sequence) break;
          position = entry.sequence;
          const frames = framesOf(entry.event);
          const last = frames.length - 1;
          if (
            frames.some(
              (frame, index) =>
                frame.event === 'done' && (entry.sequence < after.sequence || index <= Math.min(after.part, last)),
            )
          ) {
            return true;
          }
        }
        if ((entries.at(-1)?.sequence ?? 0) >= after.sequence) break;
      }
      yield { kind: 'heartbeat' };
      return false;
    },
    async *drain() {
      let entries: FlowEntry[];
      do {
        // Re-reads the resume event when only part of it was sent.
        entries = await flows.read(sessionId, part === Number.POSITIVE_INFINITY ? sequence : sequence - 1);
        for (const entry of entries) {
          for (const message of messagesOf(entry, entry.sequence === sequence ? part : -1)) {
            yield { kind: 'message', message };
            if (message.event === 'done') return true;
          }
          sequence = entry.sequence;
          part = Number.POSITIVE_INFINITY;
        }
      } while (entries.length > 0);
      return false;
    },
  });
}
