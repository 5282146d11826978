import { describe, expect, it } from 'vitest';
import { withoutNulls } from './without-nulls';

describe('withoutNulls', () => {
  it('drops top-level nulls and the omitted fields, keeps everything else as it was, in order', () => {
    const messages = [{ role: 'user', content: 'hi', name: null }];
    const body = { model: 'm', temperature: null, messages, stream: true, max_tokens: 0, stop: undefined, seed: null };
    const copy = withoutNulls(body, new Set(['stream'] as const));
    expect(copy).toEqual({ model: 'm', messages, max_tokens: 0, stop: undefined });
    expect(Object.keys(copy)).toEqual(['model', 'messages', 'max_tokens', 'stop']);
    // Only the top level: nested objects are the same objects.
    expect(copy.messages).toBe(messages);
    expect(withoutNulls({ a: null, b: false })).toEqual({ b: false });
  });

  it('keeps an own "__proto__" field a field, never the prototype of the copy', () => {
    const body = JSON.parse('{"__proto__": {"polluted": true}, "model": "m"}') as Record<string, unknown>;
    const copy = withoutNulls(body) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'model']);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
