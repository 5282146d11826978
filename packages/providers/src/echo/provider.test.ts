import { collectChunks } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createProvider } from '../create-provider';
import type { ChatRequest } from '../spec';
import { createEchoProvider } from '.';

const config = { id: 'echo', type: 'echo', baseURL: 'echo://local' } as const;

function ask(text: string): ChatRequest {
  return {
    model: 'echo',
    messages: [
      { role: 'system', content: 'You repeat things.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: text },
    ],
  };
}

describe('echo provider', () => {
  it('answers with the last user message verbatim and counts words as tokens', async () => {
    const provider = createEchoProvider(config);
    const completion = await provider.chat(ask('  Hello,   world!\nSecond line  '));
    expect(completion.choices[0]?.message.content).toBe('  Hello,   world!\nSecond line  ');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.model).toBe('echo');
    expect(completion.usage).toEqual({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
  });

  it('streams word by word so the deltas concatenate to the exact input', async () => {
    const provider = createEchoProvider(config);
    const text = ' tabs\tand  double  spaces\n\nand a trailing newline\n';
    const chunks = await collectChunks(provider.streamChat(ask(text)));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.length).toBe(2 + 8);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.usage).toEqual({ prompt_tokens: 15, completion_tokens: 8, total_tokens: 23 });
  });

  it('answers an empty last user message with an empty string', async () => {
    const provider = createEchoProvider(config);
    expect((await provider.chat(ask(''))).choices[0]?.message.content).toBe('');
    const chunks = await collectChunks(provider.streamChat(ask('')));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(0);
  });

  it('uses the text parts of multi-part content', async () => {
    const provider = createEchoProvider(config);
    const completion = await provider.chat({
      model: 'echo',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('look');
  });

  it('paces words with echoDelayMs and stops promptly on abort', async () => {
    const provider = createEchoProvider({ ...config, echoDelayMs: 50 });
    const controller = new AbortController();
    const received: string[] = [];
    // The abort comes while the stream waits out its 50 ms pause before the next word. A zero-delay
    // timer started with it fires only if the stream does not end at once: an honoured abort ends
    // it in the same turn; one noticed only after the pause lets the timer fire first.
    let aTimerFiredFirst = false;
    const outcome = await (async () => {
      for await (const chunk of provider.streamChat(ask('one two three four five six seven eight'), {
        signal: controller.signal,
      })) {
        received.push(chunk.choices[0]?.delta.content ?? '');
        if (received.length === 3) {
          setTimeout(() => {
            controller.abort();
            setTimeout(() => {
              aTimerFiredFirst = true;
            }, 0);
          }, 0);
        }
      }
    })().then(
      () => 'finished',
      (error: unknown) => error,
    );
    expect((outcome as Error).name).toBe('AbortError');
    expect(aTimerFiredFirst).toBe(false);
    expect(received).toEqual(['', 'one ', 'two ']);

    const chatAbort = new AbortController();
    setTimeout(() => chatAbort.abort(), 60);
    const chatOutcome = await provider
      .chat(ask('one two three four five six seven eight'), { signal: chatAbort.signal })
      .catch((error: unknown) => error);
    expect((chatOutcome as Error).name).toBe('AbortError');
  });

  it('lists the echo model and is what createProvider builds for type echo', async () => {
    const provider = createProvider(config);
    expect(provider.type).toBe('echo');
    expect(provider.specVersion).toBe(1);
    expect(await provider.listModels()).toEqual([{ id: 'echo', ownedBy: 'switchyard' }]);
    await provider.close();
  });

  it('createProvider rejects an unknown type', () => {
    expect(() => createProvider({ ...config, type: 'nope' as 'echo' })).toThrow(/Unknown provider type/);
  });
});
