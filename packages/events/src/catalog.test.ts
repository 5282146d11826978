import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { defineEvent, defineEventCatalog, findEventDefinition, platformEvents } from './catalog';
import { defaultRetryPolicy, retryDelayMs } from './create-event-bus';

describe('event catalog', () => {
  it('takes PascalCase names and whole versions, and refuses the rest', () => {
    const payload = Type.Object({});
    expect(defineEvent('GiftReady', { payload })).toMatchObject({ name: 'GiftReady', version: 1 });
    expect(defineEvent('GiftReady', { payload, version: 3 }).version).toBe(3);
    for (const name of ['giftReady', 'Gift.Ready', 'Gift:Ready', 'Gift Ready', '']) {
      expect(() => defineEvent(name, { payload })).toThrow(/PascalCase/);
    }
    expect(() => defineEvent('GiftReady', { payload, version: 0 })).toThrow(/version/);
    expect(() => defineEvent('GiftReady', { payload, version: 1.5 })).toThrow(/version/);
  });

  it('refuses a name defined twice and finds only its own names', () => {
    const event = defineEvent('Twice', { payload: Type.Object({}) });
    expect(() => defineEventCatalog([event, event])).toThrow(/defined twice/);
    expect(findEventDefinition(platformEvents, 'FlowCompleted')?.name).toBe('FlowCompleted');
    expect(findEventDefinition(platformEvents, 'toString')).toBeUndefined();
  });
});

describe('retry back-off', () => {
  it('doubles from the initial delay and stops growing at the maximum', () => {
    const policy = { ...defaultRetryPolicy, initialDelayMs: 1_000, factor: 2, maxDelayMs: 5_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(policy, attempt))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });
});
