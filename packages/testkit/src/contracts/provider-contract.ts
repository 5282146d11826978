import type { ChatCompletionChunk, ChatRequest, ProviderAdapter, ToolCall } from '@switchyard/providers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FakeUpstreamServer } from '../fakes/fake-http-server';
import { closedPortUrl, collectChunks, streamedText, switchyardFailure } from '../provider-test-helpers';

export interface ProviderContractCapabilities {
  tools: boolean;
  images: boolean;
  jsonMode: boolean;
  embeddings: boolean;
}

/**
 * Reads a provider's own request body, so the contract can check that a feature
 * reached the upstream in that provider's field (e.g. `system`, `systemInstruction`)
 * without the contract knowing every wire format.
 */
export interface UpstreamWire {
  systemPrompt(body: unknown): string | undefined;
  /** The conversation turns without the system prompt, in order, with the upstream's role names. */
  turns(body: unknown): Array<{ role: string; text: string }>;
  /** Base64 payloads of the images in the request. */
  images(body: unknown): string[];
  jsonMode(body: unknown): boolean;
}

export interface ProviderContractTarget {
  adapter: ProviderAdapter;
  /** Null for providers without an upstream (echo): cases that need one are skipped with a reason. */
  fake: FakeUpstreamServer | null;
  /** Required whenever `fake` is set. */
  wire: UpstreamWire | null;
  modelName: string;
  /** The model for embeddings, when it is not `modelName`. */
  embeddingModelName?: string;
  capabilities: ProviderContractCapabilities;
}

export interface ProviderContractSetupOptions {
  timeoutMs?: number;
  /** Points the adapter elsewhere than the fake, e.g. at a closed port. */
  baseURL?: string;
  /** Passed to the fake: a pause before each streamed content frame. */
  chunkDelayMs?: number;
}

export type ProviderContractSetup = (options: ProviderContractSetupOptions) => Promise<ProviderContractTarget>;

const noUpstream = 'no upstream server to inspect or misbehave';

const weatherTool = {
  type: 'function',
  function: {
    name: 'lookup_weather',
    description: 'Looks up the current weather',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
};

// A 1×1 transparent PNG.
const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

function finishReasonsOf(chunks: ChatCompletionChunk[]): unknown[] {
  return chunks.flatMap((chunk) => (chunk.choices[0]?.finish_reason ? [chunk.choices[0].finish_reason] : []));
}

/** Joins streamed tool-call pieces the way OpenAI clients do: by index, arguments concatenated. */
function toolCallsOf(chunks: ChatCompletionChunk[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const chunk of chunks) {
    for (const piece of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = calls[piece.index] ?? { id: '', type: 'function', function: { name: '', arguments: '' } };
      calls[piece.index] = call;
      if (piece.id !== undefined && piece.id !== '') call.id = piece.id;
      if (piece.function?.name !== undefined && piece.function.name !== '') call.function.name = piece.function.name;
      call.function.arguments += piece.function?.arguments ?? '';
    }
  }
  return calls;
}

function lastBody(fake: FakeUpstreamServer): unknown {
  return fake.requests.at(-1)?.body;
}

/**
 * Behaviour every provider adapter must share, checked against a fake that
 * speaks the provider's real protocol. `setup` starts a fresh fake and adapter
 * for each case; cases a provider cannot support are skipped with the reason.
 */
export function describeProviderContract(name: string, setup: ProviderContractSetup): void {
  describe(`provider contract: ${name}`, () => {
    const opened: Array<{ close(): Promise<void> }> = [];

    afterEach(async () => {
      for (const item of opened.splice(0).reverse()) await item.close();
    });

    async function start(options: ProviderContractSetupOptions = {}): Promise<ProviderContractTarget> {
      const target = await setup(options);
      if (target.fake !== null) opened.push(target.fake);
      opened.push(target.adapter);
      return target;
    }

    /** The fake and its wire reader, or a skip with the reason when the provider has no upstream. */
    function upstreamOf(
      target: ProviderContractTarget,
      skip: (note: string) => never,
    ): { fake: FakeUpstreamServer; wire: UpstreamWire } {
      if (target.fake === null) return skip(`${name} has ${noUpstream}`);
      if (target.wire === null) throw new Error(`${name} has a fake but no wire reader`);
      return { fake: target.fake, wire: target.wire };
    }

    function request(target: ProviderContractTarget, text = 'hello there switchyard'): ChatRequest {
      return { model: target.modelName, messages: [{ role: 'user', content: text }] };
    }

    it('answers a plain chat', async () => {
      const target = await start();
      const completion = await target.adapter.chat(request(target));
      expect(completion.object).toBe('chat.completion');
      expect(completion.id).not.toBe('');
      expect(completion.choices[0]?.message.role).toBe('assistant');
      expect(completion.choices[0]?.message.content).toContain('hello there switchyard');
      expect(completion.choices[0]?.finish_reason).toBe('stop');
    });

    it('streams chunks that add up to the chat answer, role first and usage last', async () => {
      const target = await start();
      const completion = await target.adapter.chat(request(target));
      const chunks = await collectChunks(target.adapter.streamChat(request(target)));
      expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(streamedText(chunks)).toBe(completion.choices[0]?.message.content);
      expect(finishReasonsOf(chunks)).toEqual(['stop']);
      const usage = chunks.at(-1)?.usage;
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('reports token usage', async () => {
      const target = await start();
      const usage = (await target.adapter.chat(request(target))).usage;
      expect(usage?.prompt_tokens).toBeGreaterThan(0);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
      expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    });

    it('lists models including the one under test', async () => {
      const target = await start();
      const models = await target.adapter.listModels();
      expect(models.map((model) => model.id)).toContain(target.modelName);
    });

    it('sends the system prompt in the upstream’s own field', async ({ skip }) => {
      const target = await start();
      const { fake, wire } = upstreamOf(target, skip);
      await target.adapter.chat({
        model: target.modelName,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello there switchyard' },
        ],
      });
      expect(wire.systemPrompt(lastBody(fake))).toBe('Be brief.');
      expect(wire.turns(lastBody(fake)).map((turn) => turn.text)).toEqual(['hello there switchyard']);
    });

    it('keeps the order of a multi-turn conversation and answers the last turn', async () => {
      const target = await start();
      const completion = await target.adapter.chat({
        model: target.modelName,
        messages: [
          { role: 'user', content: 'first question' },
          { role: 'assistant', content: 'first answer' },
          { role: 'user', content: 'second question' },
        ],
      });
      expect(completion.choices[0]?.message.content).toContain('second question');
      if (target.fake === null || target.wire === null) return;
      const turns = target.wire.turns(lastBody(target.fake));
      expect(turns.map((turn) => turn.text)).toEqual(['first question', 'first answer', 'second question']);
      expect(turns[0]?.role).toBe('user');
      expect(turns[1]?.role).not.toBe('user');
      expect(turns[2]?.role).toBe('user');
    });

    it('round-trips a tool call: parsed arguments out, the tool result accepted back', async ({ skip }) => {
      const target = await start();
      if (!target.capabilities.tools) skip(`${name} does not support tool calls`);
      const { fake } = upstreamOf(target, skip);
      const ask: ChatRequest = {
        model: target.modelName,
        tools: [weatherTool],
        messages: [{ role: 'user', content: 'please call tool for Lisbon' }],
      };
      const first = await target.adapter.chat(ask);
      expect(first.choices[0]?.finish_reason).toBe('tool_calls');
      const call = first.choices[0]?.message.tool_calls?.[0];
      expect(call?.id).toBeTruthy();
      expect(call?.function.name).toBe('lookup_weather');
      expect(JSON.parse(call?.function.arguments ?? 'null')).toEqual({ query: 'please call tool for Lisbon' });

      const streamed = await collectChunks(target.adapter.streamChat(ask));
      expect(streamed[0]?.choices[0]?.delta.role).toBe('assistant');
      expect(finishReasonsOf(streamed)).toEqual(['tool_calls']);
      const streamedCalls = toolCallsOf(streamed);
      expect(streamedCalls).toHaveLength(1);
      expect(streamedCalls[0]?.id).toBeTruthy();
      expect(streamedCalls[0]?.function.name).toBe('lookup_weather');
      expect(JSON.parse(streamedCalls[0]?.function.arguments ?? 'null')).toEqual({
        query: 'please call tool for Lisbon',
      });

      if (call === undefined) throw new Error('no tool call');
      const second = await target.adapter.chat({
        ...ask,
        messages: [
          ...ask.messages,
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: 'sunny and 24 degrees' },
        ],
      });
      expect(second.choices[0]?.finish_reason).toBe('stop');
      expect(second.choices[0]?.message.content).toBeTruthy();
      expect(JSON.stringify(lastBody(fake))).toContain('sunny and 24 degrees');
    });

    it('sends a data: URL image in the upstream’s own format', async ({ skip }) => {
      const target = await start();
      if (!target.capabilities.images) skip(`${name} does not take image input`);
      const { fake, wire } = upstreamOf(target, skip);
      await target.adapter.chat({
        model: target.modelName,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}` } },
            ],
          },
        ],
      });
      expect(wire.images(lastBody(fake))).toEqual([pixel]);
    });

    it('translates JSON mode into the upstream’s flag', async ({ skip }) => {
      const target = await start();
      if (!target.capabilities.jsonMode) skip(`${name} has no JSON-mode flag`);
      const { fake, wire } = upstreamOf(target, skip);
      await target.adapter.chat(request(target));
      expect(wire.jsonMode(lastBody(fake))).toBe(false);
      await target.adapter.chat({ ...request(target), response_format: { type: 'json_object' } });
      expect(wire.jsonMode(lastBody(fake))).toBe(true);
    });

    it('reports finish reason length when max_tokens cuts the answer', async ({ skip }) => {
      const target = await start();
      // Echo has no model that could run out of tokens.
      upstreamOf(target, skip);
      const completion = await target.adapter.chat({ ...request(target), max_tokens: 2 });
      expect(completion.choices[0]?.finish_reason).toBe('length');
      const chunks = await collectChunks(target.adapter.streamChat({ ...request(target), max_tokens: 2 }));
      expect(finishReasonsOf(chunks)).toEqual(['length']);
    });

    it('maps 429 with Retry-After to a retryable SY_ERR_UPSTREAM_RATE_LIMITED', async ({ skip }) => {
      const target = await start();
      const { fake } = upstreamOf(target, skip);
      fake.setBehaviour({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
      const error = await switchyardFailure(target.adapter.chat(request(target)));
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', isRetryable: true, retryAfterSeconds: 7 });
      const streamError = await switchyardFailure(collectChunks(target.adapter.streamChat(request(target))));
      expect(streamError).toMatchObject({ code: 'SY_ERR_UPSTREAM_RATE_LIMITED', retryAfterSeconds: 7 });
    });

    it('maps 500 to a retryable SY_ERR_UPSTREAM', async ({ skip }) => {
      const target = await start();
      const { fake } = upstreamOf(target, skip);
      fake.setBehaviour({ kind: 'error', status: 500 });
      const error = await switchyardFailure(target.adapter.chat(request(target)));
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', status: 502, isRetryable: true });
    });

    it('maps 400 to a non-retryable SY_ERR_UPSTREAM_BAD_REQUEST', async ({ skip }) => {
      const target = await start();
      const { fake } = upstreamOf(target, skip);
      fake.setBehaviour({ kind: 'error', status: 400 });
      const error = await switchyardFailure(target.adapter.chat(request(target)));
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_BAD_REQUEST', status: 400, isRetryable: false });
    });

    it('maps a refused connection to SY_ERR_UPSTREAM_UNAVAILABLE', async ({ skip }) => {
      const target = await start({ baseURL: await closedPortUrl() });
      // Echo never opens a connection.
      upstreamOf(target, skip);
      const error = await switchyardFailure(target.adapter.chat(request(target)));
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_UNAVAILABLE', isRetryable: true });
      const streamError = await switchyardFailure(collectChunks(target.adapter.streamChat(request(target))));
      expect(streamError.code).toBe('SY_ERR_UPSTREAM_UNAVAILABLE');
    });

    it('times out a hanging upstream with SY_ERR_UPSTREAM_TIMEOUT and drops the request', async ({ skip }) => {
      const target = await start({ timeoutMs: 200 });
      const { fake } = upstreamOf(target, skip);
      fake.setBehaviour({ kind: 'hang' });
      const started = Date.now();
      const error = await switchyardFailure(target.adapter.chat(request(target)));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM_TIMEOUT', isRetryable: true });
      await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));
      const streamError = await switchyardFailure(collectChunks(target.adapter.streamChat(request(target))));
      expect(streamError.code).toBe('SY_ERR_UPSTREAM_TIMEOUT');
    });

    it('throws a retryable error when the stream is cut mid-way', async ({ skip }) => {
      const target = await start();
      const { fake } = upstreamOf(target, skip);
      fake.setBehaviour({ kind: 'cut-stream', afterChunks: 2 });
      const long = request(target, 'one two three four five six seven eight');
      const error = await switchyardFailure(collectChunks(target.adapter.streamChat(long)));
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', isRetryable: true });
    });

    it('throws when the upstream reports an error inside the stream', async ({ skip }) => {
      const target = await start();
      const { fake } = upstreamOf(target, skip);
      fake.setBehaviour({ kind: 'stream-error', afterChunks: 1, message: 'upstream fell over' });
      const error = await switchyardFailure(collectChunks(target.adapter.streamChat(request(target))));
      expect(error).toMatchObject({ code: 'SY_ERR_UPSTREAM', isRetryable: true });
    });

    it('aborts the upstream request when the caller aborts mid-stream', async ({ skip }) => {
      const target = await start({ chunkDelayMs: 50 });
      const { fake } = upstreamOf(target, skip);
      const controller = new AbortController();
      let received = 0;
      const outcome = await (async () => {
        const long = request(target, 'word '.repeat(40).trim());
        for await (const _chunk of target.adapter.streamChat(long, { signal: controller.signal })) {
          received += 1;
          if (received === 2) controller.abort();
        }
      })().then(
        () => 'finished',
        (error: unknown) => error,
      );
      expect((outcome as Error).name).toBe('AbortError');
      expect(received).toBe(2);
      await vi.waitFor(() => expect(fake.abortedRequests).toBe(1));
    });

    it('embeds text when the provider can, and offers no embed otherwise', async () => {
      const target = await start();
      if (!target.capabilities.embeddings) {
        expect(target.adapter.embed).toBeUndefined();
        return;
      }
      const embed = target.adapter.embed;
      if (embed === undefined) throw new Error(`${name} claims embeddings but has no embed()`);
      const model = target.embeddingModelName ?? target.modelName;
      const batch = await embed({ model, input: ['first text', 'second text'] });
      expect(batch.object).toBe('list');
      expect(batch.data.map((entry) => entry.index)).toEqual([0, 1]);
      for (const entry of batch.data) {
        expect(entry.object).toBe('embedding');
        expect(entry.embedding.length).toBeGreaterThan(0);
        expect(entry.embedding.every((value) => typeof value === 'number')).toBe(true);
      }
      expect(batch.data[0]?.embedding).not.toEqual(batch.data[1]?.embedding);
      const single = await embed({ model, input: 'first text' });
      expect(single.data).toHaveLength(1);
      expect(single.data[0]?.embedding).toEqual(batch.data[0]?.embedding);
    });
  });
}
