import type { EventEnvelope } from '@switchyard/events';
import { describe, expect, it } from 'vitest';
import { framesOf, parseLastEventId } from './gift-session-stream';

const envelope = (name: string, payload: unknown): EventEnvelope => ({
  id: 'e1',
  name,
  version: 1,
  environment: 'prod',
  flowId: 's1',
  payload,
  publishedAt: '2026-12-03T10:00:00.000Z',
});

describe('a session’s SSE messages', () => {
  it('reads Last-Event-ID as an event, or one message of an event', () => {
    expect(parseLastEventId(undefined)).toEqual({ sequence: 0, part: Number.POSITIVE_INFINITY });
    expect(parseLastEventId('12')).toEqual({ sequence: 12, part: Number.POSITIVE_INFINITY });
    expect(parseLastEventId('12.1')).toEqual({ sequence: 12, part: 1 });
    expect(() => parseLastEventId('yesterday')).toThrow(/Last-Event-ID/);
  });

  it('turns GiftReady into ranking then done, and skips events clients do not see', () => {
    const frames = framesOf(
      envelope('GiftReady', {
        sessionId: 's1',
        ranking: [{ productId: 'p', score: 1, reason: 'r' }],
        products: [],
        usage: {},
      }),
    );
    expect(frames.map((frame) => frame.event)).toEqual(['ranking', 'done']);
    expect(frames[0]?.data).toEqual({ ranking: [{ product_id: 'p', score: 1, reason: 'r' }], products: [] });
    expect(framesOf(envelope('GiftGenerateRequested', {}))).toEqual([]);
    expect(framesOf(envelope('FlowStageChanged', { stage: 'import', status: 'started' }))).toEqual([]);
    expect(framesOf(envelope('FlowStageChanged', { stage: 'fetch', status: 'progress', progress: 0.5 }))).toEqual([
      { event: 'stage', data: { stage: 'fetch', status: 'started', progress: 0.5 } },
    ]);
  });
});
