// @vitest-environment happy-dom
import type { NotificationPreferences } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { NotificationSettings } from './NotificationSettings';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let preferences: NotificationPreferences;
let puts: unknown[];
let mounted: Mounted | null = null;

beforeEach(() => {
  puts = [];
  preferences = {
    kinds: [
      {
        kind: 'system.test',
        description: 'Test notifications',
        channels: { in_app: 'immediate', email: 'off', whatsapp: 'off' },
      },
    ],
    available: ['in_app', 'whatsapp'],
    whatsappNumber: null,
  };
  vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
    if (input === '/api/notifications/preferences' && init?.method === 'PUT') {
      const body = JSON.parse(String(init.body)) as { whatsappNumber?: string | null };
      puts.push(body);
      if (body.whatsappNumber !== undefined) preferences = { ...preferences, whatsappNumber: body.whatsappNumber };
      return json(200, preferences);
    }
    if (input === '/api/notifications/preferences') return json(200, preferences);
    return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'unexpected' } });
  });
});

afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  vi.unstubAllGlobals();
});

async function type(input: HTMLInputElement, value: string) {
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

/** The element, or a throw (so `until` waits for it). */
function required<T extends Element>(container: HTMLElement, selector: string): T {
  const element = container.querySelector<T>(selector);
  if (!element) throw new Error(`${selector} is not there yet`);
  return element;
}

const expectTrue = (value: boolean) => {
  if (!value) throw new Error('not yet');
  return true;
};

const submit = (form: HTMLFormElement) =>
  act(async () => {
    form.requestSubmit();
  });

describe('notification settings: the WhatsApp number', () => {
  it('refuses a number that is not E.164 without saving, saves a valid one and removes it when emptied', async () => {
    mounted = await mountWithQueryClient(<NotificationSettings />);
    const { container } = mounted;
    const input = await until(() => required<HTMLInputElement>(container, '#whatsapp-number'));
    const form = input.closest('form') as HTMLFormElement;

    await type(input, '0151 1234');
    await submit(form);
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(/international format/);
    expect(puts).toEqual([]);

    await type(input, '+49 151 1234-5678');
    await submit(form);
    await until(() => expectTrue(puts.length === 1));
    expect(puts).toEqual([{ whatsappNumber: '+4915112345678' }]);
    await until(() => expectTrue(container.textContent?.includes('Number saved.') ?? false));
    expect(input.value).toBe('+4915112345678');

    await type(input, '');
    await submit(form);
    await until(() => expectTrue(puts.length === 2));
    expect(puts[1]).toEqual({ whatsappNumber: null });
  });

  it('does not ask for a number when the server cannot send on WhatsApp', async () => {
    preferences = { ...preferences, available: ['in_app', 'email'] };
    mounted = await mountWithQueryClient(<NotificationSettings />);
    const { container } = mounted;
    await until(() => required(container, 'fieldset'));
    expect(container.querySelector('#whatsapp-number')).toBeNull();
  });
});
