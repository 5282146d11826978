import { SwitchyardError } from '@switchyard/core';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { upstreamShape } from './upstream-shape';

const context = { providerId: 'upstream', secrets: ['sk-secret-key-123456'] };
const answer = upstreamShape(
  'an answer',
  Type.Object({
    choices: Type.Array(
      Type.Object({
        message: Type.Object({ content: Type.Optional(Type.Union([Type.String(), Type.Null()])) }),
        kind: Type.Optional(Type.Literal('text')),
      }),
    ),
    usage: Type.Optional(Type.Union([Type.Object({ prompt_tokens: Type.Number() }), Type.Null()])),
  }),
);

function mismatch(value: unknown): SwitchyardError {
  try {
    answer.read(value, context);
  } catch (error) {
    if (error instanceof SwitchyardError) return error;
    throw error;
  }
  throw new Error('expected a mismatch');
}

describe('upstream shapes', () => {
  it('returns the value itself, extra fields and all', () => {
    const value = { id: 'x', choices: [{ message: { content: 'hi', refusal: null }, logprobs: {} }], usage: null };
    expect(answer.read(value, context)).toBe(value);
    expect(answer.check(value)).toBe(true);
  });

  it('names the deepest mismatch as a non-retryable SY_ERR_UPSTREAM, without the value', () => {
    const error = mismatch({
      choices: [{ message: { content: 42 } }, { message: 'sk-secret-key-123456 private text' }],
    });
    expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: false });
    expect(error.message).toBe(
      'Upstream upstream sent an answer Switchyard cannot read: /choices/0/message/content must be string or null',
    );
    expect(error.details).toMatchObject({
      provider: 'upstream',
      problem: '/choices/0/message/content must be string or null',
    });
  });

  it('says which fields are missing, what a constant must be, and looks into unions for the real problem', () => {
    expect(mismatch({}).message).toContain(': the top level must have required properties choices');
    expect(mismatch({ choices: [{ message: {}, kind: 'image' }] }).message).toContain('/choices/0/kind must be "text"');
    expect(mismatch({ choices: [], usage: { prompt_tokens: 'many' } }).message).toContain(
      '/usage/prompt_tokens must be number',
    );
    expect(mismatch({ choices: 'private text' }).message).not.toContain('private text');
  });
});
