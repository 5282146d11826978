import { describe, expect, it } from 'vitest';
import { findUnstorableText } from './text-input';

describe('findUnstorableText', () => {
  it('names the first field holding U+0000 or a lone surrogate, keys included', () => {
    expect(findUnstorableText({ a: 'fine', b: [{ c: 'x' }, { c: 'y\u0000' }] }, 'body')).toEqual({
      field: 'body.b.1.c',
      character: 'nul',
    });
    expect(findUnstorableText({ messages: [{ content: 'half \udc00 pair' }] }, 'body')).toEqual({
      field: 'body.messages.0.content',
      character: 'surrogate',
    });
    expect(findUnstorableText([{ vars: { 'k\u0000': 'v' } }], 'body')).toEqual({
      field: 'a key of body.0.vars',
      character: 'nul',
    });
    const query = Object.assign(Object.create(null) as Record<string, string>, { q: 'x\u0000' });
    expect(findUnstorableText(query, 'query')).toEqual({ field: 'query.q', character: 'nul' });
  });

  it('accepts well-formed text, emoji pairs and control characters other than NUL, and skips bytes', () => {
    expect(findUnstorableText({ t: 'tab\there, 😀, ünï, \u0001' }, 'body')).toBeUndefined();
    expect(findUnstorableText({ file: Buffer.from([0, 0xd8]) }, 'body')).toBeUndefined();
    expect(findUnstorableText(undefined, 'body')).toBeUndefined();
  });
});
