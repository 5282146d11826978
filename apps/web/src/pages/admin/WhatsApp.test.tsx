// @vitest-environment happy-dom
import type { AdminWhatsAppStatus } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../../testing/mount';
import { until } from '../../testing/until';
import { AdminPage } from '../Admin';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const status = (environment: 'prod' | 'dev'): AdminWhatsAppStatus => ({
  environment,
  configured: true,
  phone_number_id: environment === 'prod' ? '1111' : '2222',
  dry_run: environment === 'dev',
  webhook: {
    verify_token_configured: true,
    signature_secret_configured: true,
    last_delivery_at: '2026-12-03T08:00:00.000Z',
    last_delivery_processed: true,
  },
  bot: { enabled: true, model: 'smart', focus: null, vision_model: null },
});

let requests: Array<{ method: string; path: string; search: string; body: unknown }>;

function route(method: string, path: string, search: string, body: unknown): Response {
  const environment = new URLSearchParams(search).get('environment') === 'dev' ? 'dev' : 'prod';
  if (path === '/v1/admin/whatsapp/status') return json(200, status(environment));
  if (path === '/v1/admin/whatsapp/conversations') {
    return json(200, {
      environment,
      conversations: [
        {
          wa_id: environment === 'prod' ? '+4915100000001' : '+4915100000002',
          name: 'Ada',
          conversation_id: 'chat_1',
          opted_out: false,
          last_inbound_at: '2026-12-03T08:00:00.000Z',
          last_text: 'hello bot',
        },
      ],
    });
  }
  if (path === '/v1/admin/whatsapp/test-message' && method === 'POST') {
    const sent = body as { to: string; environment: string };
    if (sent.to === '+10000000000') {
      return json(422, { error: { code: 'SY_ERR_OUTSIDE_SERVICE_WINDOW', message: 'use a template' } });
    }
    return json(202, {
      id: 'wamsg_1',
      object: 'message',
      status: 'queued',
      environment: sent.environment,
      to: sent.to,
      status_url: '/v1/messages/wamsg_1',
    });
  }
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `no route ${method} ${path}` } });
}

let container: HTMLDivElement;
let mounted: Mounted;

beforeEach(async () => {
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const url = new URL(input, 'http://localhost');
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      requests.push({ method, path: url.pathname, search: url.search, body });
      return route(method, url.pathname, url.search, body);
    }),
  );
  mounted = await mountWithQueryClient(<AdminPage />);
  ({ container } = mounted);
});

afterEach(async () => {
  await mounted.unmount();
  vi.unstubAllGlobals();
});

const waitFor = (check: () => unknown) =>
  until(() => {
    const result = check();
    if (result === false || result === null || result === undefined) throw new Error('not there yet');
    return result;
  });

async function openTab() {
  const tab = [...container.querySelectorAll('[role="tab"]')].find((element) => element.textContent === 'WhatsApp');
  await act(async () => (tab as HTMLElement).click());
}

/** Sets a controlled input's value the way typing does, so React sees it. */
async function type(element: HTMLInputElement | HTMLSelectElement, value: string) {
  const prototype = element instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(prototype, 'value')?.set;
  await act(async () => {
    setter?.call(element, value);
    element.dispatchEvent(new Event(element instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}

describe('admin console: WhatsApp', () => {
  it('shows the number, webhook and bot, and the people who wrote, per environment', async () => {
    await openTab();
    await waitFor(() => container.querySelector('tr[data-wa-id="+4915100000001"]'));
    const text = container.textContent ?? '';
    expect(text).toContain('1111');
    expect(text).toContain('on, model smart');
    expect(text).toContain('hello bot');

    const select = container.querySelector('select') as HTMLSelectElement;
    await type(select, 'dev');
    await waitFor(() => container.querySelector('tr[data-wa-id="+4915100000002"]'));
    expect(container.textContent).toContain('dry run');
    expect(requests.some((entry) => entry.search === '?environment=dev')).toBe(true);
  });

  it('queues a test template, and shows the server’s refusal when there is one', async () => {
    await openTab();
    await waitFor(() => container.querySelector('form'));
    const to = container.querySelector('input[placeholder="+4915112345678"]') as HTMLInputElement;
    await type(to, '+4915100000009');
    const form = container.querySelector('form') as HTMLFormElement;
    await act(async () => form.requestSubmit());
    await waitFor(() => container.querySelector('[role="status"]'));
    expect(container.querySelector('[role="status"]')?.textContent).toBe('Queued wamsg_1 to +4915100000009.');
    expect(requests.find((entry) => entry.method === 'POST')?.body).toEqual({
      environment: 'prod',
      to: '+4915100000009',
      template: { name: 'hello_world', language: 'en_US' },
    });

    await type(to, '+10000000000');
    await act(async () => form.requestSubmit());
    await waitFor(() => container.querySelector('[role="alert"]'));
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(/template/);
  });
});
