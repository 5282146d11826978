// @vitest-environment happy-dom
import { act, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamText } from '../lib/stream-text';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { ChatSettings, type ChatSettingsValue, emptyChatSettings } from './ChatSettings';
import { CompareAnswers, type CompareRun } from './CompareAnswers';
import { VersionSwitcher } from './MessageList';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let mounted: Mounted | null = null;
afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  vi.unstubAllGlobals();
});

const button = (name: string) =>
  [...document.querySelectorAll('button')].find(
    (element) => element.getAttribute('aria-label') === name || element.textContent?.trim() === name,
  ) as HTMLButtonElement | undefined;

describe('VersionSwitcher', () => {
  it('shows "2/3" and moves to the sibling before and after it', async () => {
    const onSwitch = vi.fn();
    const message = { id: 'b', role: 'assistant' as const, content: 'x', siblingIds: ['a', 'b', 'c'], siblingIndex: 1 };
    mounted = await mountWithQueryClient(<VersionSwitcher message={message} disabled={false} onSwitch={onSwitch} />);
    expect(mounted.container.textContent).toContain('2/3');
    expect(mounted.container.querySelector('.sr-only')?.textContent).toBe('Version 2 of 3');
    await act(async () => button('Previous version')?.click());
    await act(async () => button('Next version')?.click());
    expect(onSwitch.mock.calls).toEqual([['a'], ['c']]);
  });

  it('disables the ends and hides itself for a message with one version', async () => {
    const onSwitch = vi.fn();
    const first = { id: 'a', role: 'user' as const, content: 'x', siblingIds: ['a', 'b'], siblingIndex: 0 };
    mounted = await mountWithQueryClient(<VersionSwitcher message={first} disabled={false} onSwitch={onSwitch} />);
    expect(button('Previous version')?.disabled).toBe(true);
    expect(button('Next version')?.disabled).toBe(false);
    await mounted.unmount();
    const single = { id: 'a', role: 'user' as const, content: 'x', siblingIds: ['a'], siblingIndex: 0 };
    mounted = await mountWithQueryClient(<VersionSwitcher message={single} disabled={false} onSwitch={onSwitch} />);
    expect(mounted.container.innerHTML).toBe('');
  });
});

describe('ChatSettings', () => {
  it('applies a saved preset and saves the settings as a new preset, with a label on every control', async () => {
    const requests: Array<{ method: string; url: string; body: unknown }> = [];
    const presets = [
      {
        id: 'pre_1',
        name: 'Precise',
        systemPrompt: 'Be exact.',
        model: 'smart',
        parameters: { temperature: 0 },
        createdAt: '',
        updatedAt: '',
      },
    ];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input);
        const method = init?.method ?? 'GET';
        const body = init?.body ? JSON.parse(String(init.body)) : undefined;
        requests.push({ method, url, body });
        if (url.startsWith('/api/presets') && method === 'GET') return json(200, { presets, limit: 100, offset: 0 });
        if (url.startsWith('/api/assistants') && method === 'GET')
          return json(200, { assistants: [], limit: 100, offset: 0 });
        if (url === '/api/presets') return json(201, { ...presets[0], ...body, id: 'pre_2' });
        if (url === '/api/assistants') return json(201, { id: 'asst_1', ...body, apps: [], files: [] });
        return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'no' } });
      }),
    );
    const seen: { value: ChatSettingsValue; model: string } = { value: emptyChatSettings, model: 'fast' };
    function Harness() {
      const [value, setValue] = useState<ChatSettingsValue>(emptyChatSettings);
      const [model, setModel] = useState('fast');
      seen.value = value;
      seen.model = model;
      return <ChatSettings value={value} onChange={setValue} model={model} onModel={setModel} />;
    }
    mounted = await mountWithQueryClient(<Harness />);
    const presetSelect = await until(() => {
      const found = [...document.querySelectorAll('select')].find((select) => select.textContent?.includes('Precise'));
      if (!found) throw new Error('the presets have not loaded');
      return found;
    });
    await act(async () => {
      presetSelect.value = 'pre_1';
      presetSelect.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await act(async () => button('Apply preset')?.click());
    expect(seen.value).toMatchObject({ systemPrompt: 'Be exact.', parameters: { temperature: 0 } });
    expect(seen.model).toBe('smart');

    const nameInput = document.querySelector('input[placeholder="Preset name"]') as HTMLInputElement;
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(nameInput, 'Copy');
      nameInput.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => button('Save as preset')?.click());
    await until(() => {
      if (!requests.some((request) => request.method === 'POST' && request.url === '/api/presets'))
        throw new Error('no preset was posted');
    });
    expect(requests.find((request) => request.method === 'POST')?.body).toEqual({
      name: 'Copy',
      systemPrompt: 'Be exact.',
      model: 'smart',
      parameters: { temperature: 0 },
    });
    // Labelled controls for every parameter.
    for (const label of ['System prompt', 'Temperature', 'Top P', 'Max tokens', 'Assistant', 'Preset']) {
      expect([...document.querySelectorAll('label')].some((element) => element.textContent?.includes(label))).toBe(
        true,
      );
    }
  });
});

describe('CompareAnswers', () => {
  it('shows each model in its own column and offers to keep one once all have ended', async () => {
    const text = (value: string) => {
      const stream = createStreamText((callback) => callback());
      stream.reset(value);
      return stream;
    };
    const run: CompareRun = {
      chatId: 'chat_1',
      user: { id: 'local-1', role: 'user', content: 'q' },
      keep: 0,
      done: true,
      columns: [
        {
          model: 'fast',
          sessionId: 's1',
          messageId: 'm1',
          text: text('first answer'),
          status: 'complete',
          error: null,
        },
        {
          model: 'smart',
          sessionId: 's2',
          messageId: 'm2',
          text: text('second answer'),
          status: 'complete',
          error: null,
        },
      ],
    };
    const onKeep = vi.fn();
    mounted = await mountWithQueryClient(<CompareAnswers run={run} onKeep={onKeep} onClose={() => {}} />);
    const columns = [...document.querySelectorAll('article')];
    expect(columns.map((column) => column.getAttribute('aria-label'))).toEqual([
      'Answer from fast',
      'Answer from smart',
    ]);
    expect(columns[1]?.textContent).toContain('second answer');
    const keep = columns[1]?.querySelector('button') as HTMLButtonElement;
    expect(keep.textContent).toBe('Keep this answer');
    await act(async () => keep.click());
    expect(onKeep).toHaveBeenCalledWith('m2');
  });
});
