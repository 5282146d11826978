import { closedPortUrl, type FakeOpenAIServer, startFakeOpenAI, testMcpServerPath } from '@switchyard/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRequest } from '../testing/key-request';
import { readJson } from '../testing/read-json';
import { startTestServer, type TestServer } from '../testing/test-server';

type Message = { role: string; content: unknown; tool_calls?: unknown[] };
const lastMessage = (request: Record<string, unknown>) => (request.messages as Message[]).at(-1);
const firstUserText = (request: Record<string, unknown>) =>
  String((request.messages as Message[]).find((message) => message.role === 'user')?.content ?? '');

/**
 * A model that uses tools the way real ones do: asked to "add", it calls two skills at once; asked
 * to "loop", it never stops calling; once it has tool results, it answers with them.
 */
function scriptedCalls(request: Record<string, unknown>) {
  const text = firstUserText(request);
  if (text.includes('loop')) return [{ name: 'clock__echo', arguments: { text: 'again' } }];
  if (lastMessage(request)?.role !== 'user') return undefined;
  if (text.includes('add')) {
    return [
      { name: 'clock__add', arguments: { a: 2, b: 3 } },
      { name: 'clock__echo', arguments: { text: 'hi' } },
    ];
  }
  if (text.includes('bad')) return [{ name: 'clock__add', arguments: { a: 'two', b: 3 } }];
  // A model only calls what it is offered: an app that is down offers nothing.
  const offered = ((request.tools as Array<{ function: { name: string } }> | undefined) ?? []).map(
    (tool) => tool.function.name,
  );
  if (text.includes('slow') && offered.includes('sleepy__slow')) {
    return [{ name: 'sleepy__slow', arguments: { ms: 60_000 } }];
  }
  if (text.includes('down') && offered.includes('down__echo'))
    return [{ name: 'down__echo', arguments: { text: 'x' } }];
  return undefined;
}

function scriptedReply(request: Record<string, unknown>): string {
  const results = (request.messages as Message[]).filter((message) => message.role === 'tool');
  return results.length > 0 ? `results: ${results.map((message) => message.content).join(' | ')}` : 'no tools';
}

describe('chat with apps: the gateway runs the skills the model calls', () => {
  let upstream: FakeOpenAIServer;
  let server: TestServer;
  let key: string;
  let adminKey: string;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ toolCalls: scriptedCalls, reply: scriptedReply });
    server = await startTestServer({
      config: {
        ollama: { autodetect: false },
        providers: [{ id: 'fake', type: 'openai-compatible', baseURL: upstream.url }],
        models: [{ id: 'smart', provider: 'fake', upstreamModel: 'gpt-4o-mini' }],
        apps: [
          {
            id: 'clock',
            type: 'mcp',
            command: [process.execPath, testMcpServerPath],
            focusModes: [
              { id: 'maths', name: 'Maths', systemPrompt: 'You add numbers.', skills: ['add'], model: 'smart' },
              { id: 'talk', systemPrompt: 'You echo.', skills: ['echo'] },
            ],
          },
          {
            id: 'clock2',
            type: 'mcp',
            command: [process.execPath, testMcpServerPath],
            focusModes: [{ id: 'talk', systemPrompt: 'You echo too.' }],
          },
          { id: 'sleepy', type: 'mcp', command: [process.execPath, testMcpServerPath], timeoutMs: 1000 },
          { id: 'down', type: 'mcp', url: await closedPortUrl('/mcp'), timeoutMs: 5000 },
        ],
      },
    });
    key = await server.createKey('dev');
    adminKey = await server.createKey('prod', { admin: true });
  });
  afterAll(async () => {
    await server?.destroy();
    await upstream?.close();
  });

  const completions = (body: Record<string, unknown>) =>
    keyRequest(server.url, key, 'POST', '/v1/chat/completions', { model: 'smart', ...body });

  it('offers the skills as tools, runs the calls the model makes, and returns the final answer', async () => {
    const before = upstream.requests.length;
    const response = await completions({ apps: ['clock'], messages: [{ role: 'user', content: 'please add' }] });
    expect(response.status, await response.clone().text()).toBe(200);
    const answer = await readJson(response);
    expect(answer.choices[0].message.content).toBe('results: 5 | echo: hi');
    expect(answer.choices[0].finish_reason).toBe('stop');
    // Both turns' tokens are counted.
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);

    const [first, second] = upstream.requests.slice(before).map((request) => request.body as Record<string, unknown>);
    const tools = first?.tools as Array<{ function: { name: string; parameters: { required?: string[] } } }>;
    expect(tools.map((tool) => tool.function.name)).toEqual(expect.arrayContaining(['clock__add', 'clock__echo']));
    expect(tools.find((tool) => tool.function.name === 'clock__add')?.function.parameters.required).toEqual(['a', 'b']);
    expect(first).not.toHaveProperty('apps');
    const messages = second?.messages as Message[];
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(messages[1]?.tool_calls).toHaveLength(2);
  });

  it('streams a valid answer to the official OpenAI client', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1` });
    const stream = await client.chat.completions.create({
      model: 'smart',
      stream: true,
      messages: [{ role: 'user', content: 'add please' }],
      apps: ['clock'],
    } as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe('results: 5 | echo: hi');
    expect(finish).toBe('stop');
  });

  it('streams tool_call and tool_result events on the native API as the skills run', async () => {
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat', {
      model: 'smart',
      message: 'add',
      apps: ['clock'],
      stream: true,
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .trim()
      .split('\n\n')
      .map((block) => {
        const [eventLine = '', dataLine = ''] = block.split('\n');
        return { event: eventLine.replace('event: ', ''), data: JSON.parse(dataLine.replace('data: ', '')) };
      });
    expect(events.map((event) => event.event)).toEqual([
      'start',
      'tool_call',
      'tool_call',
      'tool_result',
      'tool_result',
      'delta',
      'done',
    ]);
    const results = events.filter((event) => event.event === 'tool_result').map((event) => event.data);
    expect(results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ app: 'clock', skill: 'add', output: '5', is_error: false }),
        expect.objectContaining({ app: 'clock', skill: 'echo', output: 'echo: hi', is_error: false }),
      ]),
    );
    expect(events.find((event) => event.event === 'tool_call')?.data).toMatchObject({
      app: 'clock',
      input: { a: 2, b: 3 },
    });
    expect(events.at(-2)?.data.content).toBe('results: 5 | echo: hi');
  });

  it('gives the model an error result, not the client an error, when the input is wrong or the skill times out', async () => {
    const bad = await readJson(await completions({ apps: ['clock'], messages: [{ role: 'user', content: 'bad' }] }));
    expect(bad.choices[0].message.content).toBe('results: Error (SY_ERR_VALIDATION): input.a must be number');
    const slow = await completions({ apps: ['sleepy'], messages: [{ role: 'user', content: 'slow' }] });
    expect(slow.status).toBe(200);
    expect((await readJson(slow)).choices[0].message.content).toBe(
      "results: Error (SY_ERR_SKILL_TIMEOUT): App 'sleepy' did not answer 'slow' within 1000 ms",
    );
  });

  it('goes on without an app that is down: its skills are not offered, the chat still answers', async () => {
    const before = upstream.requests.length;
    const down = await completions({ apps: ['down', 'clock'], messages: [{ role: 'user', content: 'down' }] });
    expect(down.status).toBe(200);
    expect((await readJson(down)).choices[0].message.content).toBe('no tools');
    const offered =
      (upstream.requests[before]?.body as { tools: Array<{ function: { name: string } }> } | undefined)?.tools ?? [];
    expect(offered.some((tool) => tool.function.name.startsWith('down__'))).toBe(false);
    expect(offered.some((tool) => tool.function.name === 'clock__echo')).toBe(true);
  });

  it('ends a model that keeps calling skills at apps.max_steps with a clear 422', async () => {
    const setting = await keyRequest(server.url, adminKey, 'PUT', '/v1/admin/settings/apps.max_steps', { value: 3 });
    expect(setting.status).toBe(200);
    const before = upstream.requests.length;
    const response = await completions({ apps: ['clock'], messages: [{ role: 'user', content: 'loop' }] });
    expect(response.status).toBe(422);
    expect((await readJson(response)).error).toMatchObject({ code: 'SY_ERR_SKILL_STEPS_EXCEEDED' });
    expect(upstream.requests.length - before).toBe(3);
  });

  it('answers 404 for an app that does not exist, before anything is sent', async () => {
    const response = await completions({ apps: ['nope'], stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(404);
    expect((await readJson(response)).error.code).toBe('SY_ERR_APP_NOT_FOUND');
  });

  it('keeps the pass-through for a request that brings its own tools and no apps', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const answer = await readJson(await completions({ tools, messages: [{ role: 'user', content: 'call tool' }] }));
    expect(answer.choices[0].finish_reason).toBe('tool_calls');
    expect(answer.choices[0].message.tool_calls[0].function.name).toBe('lookup');
  });

  it('a focus mode adds its system prompt, offers only its skills and supplies its preferred model', async () => {
    const listed = await readJson(await keyRequest(server.url, key, 'GET', '/v1/apps'));
    const clock = listed.apps.find((entry: { id: string }) => entry.id === 'clock');
    expect(clock.focus_modes).toEqual([
      { id: 'maths', name: 'Maths', description: '', skills: ['add'], model: 'smart' },
      { id: 'talk', name: 'talk', description: '', skills: ['echo'], model: null },
    ]);

    const before = upstream.requests.length;
    // No model in the request: the mode's preferred one answers.
    const response = await keyRequest(server.url, key, 'POST', '/v1/chat', { message: 'add', focus: 'maths' });
    expect(response.status, await response.clone().text()).toBe(200);
    const first = upstream.requests[before]?.body as {
      messages: Message[];
      tools: Array<{ function: { name: string } }>;
    };
    expect(first.messages[0]).toEqual({ role: 'system', content: 'You add numbers.' });
    expect(first.tools.map((tool) => tool.function.name)).toEqual(['clock__add']);
    // The model asked for add and echo; echo is not the mode's, so the loop hands the call back.
    expect((await readJson(response)).finish_reason).toBe('tool_calls');
  });

  it('a focus mode two apps offer must be named with its app; an unknown one is a 404', async () => {
    const ambiguous = await completions({ focus: 'talk', messages: [{ role: 'user', content: 'hi' }] });
    expect(ambiguous.status).toBe(400);
    expect((await readJson(ambiguous)).error.message).toContain("'clock/talk'");
    const named = await completions({ focus: 'clock2/talk', messages: [{ role: 'user', content: 'hi' }] });
    expect(named.status).toBe(200);
    const unknown = await completions({ focus: 'clock/none', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(404);
    expect((await readJson(unknown)).error.code).toBe('SY_ERR_FOCUS_NOT_FOUND');
  });

  it('logs each skill the model calls as a usage row of the environment, with origin chat and the key as caller', async () => {
    const since = new Date().toISOString();
    const answer = await completions({ apps: ['clock'], messages: [{ role: 'user', content: 'please add' }] });
    expect(answer.status).toBe(200);
    await server.parts.skillCalls.flush();
    const usage = await readJson(
      await keyRequest(server.url, adminKey, 'GET', `/v1/admin/usage/skills?environment=dev&app=clock&since=${since}`),
    );
    expect(
      usage.calls
        .map((row: { via: string; skill: string; status: string }) => `${row.via}:${row.skill}:${row.status}`)
        .sort(),
    ).toEqual(['chat:add:ok', 'chat:echo:ok']);
    expect(usage.calls[0].caller).toMatch(/^key:/);
  });
});
