// @vitest-environment happy-dom
import type { PublicKey } from '@switchyard/api-schemas';
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../lib/i18n';
import { getPreferences, setPreference } from '../lib/preferences';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { SettingsPage } from './Settings';
import { describeDevice } from './settings/Sessions';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const me = { id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'user' as const };
const chromeOnLinux =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';
const firefoxOnAndroid = 'Mozilla/5.0 (Android 14; Mobile; rv:130.0) Gecko/130.0 Firefox/130.0';

let requests: Array<{ method: string; path: string; body: unknown }>;
let keys: PublicKey[];
let sessions: Array<Record<string, unknown>>;
let passwordAnswer: Response | null;

function route(method: string, path: string, body: unknown): Response {
  if (path === '/api/keys?include_revoked=false') return json(200, { keys: keys.filter((key) => !key.revokedAt) });
  if (path === '/api/keys?include_revoked=true') return json(200, { keys });
  if (path === '/api/keys' && method === 'POST') {
    const request = body as { name: string; environment: string; scopes: string[] };
    const record: PublicKey = {
      id: `k${keys.length + 1}`,
      name: request.name,
      prefix: `${request.environment}_abcd`,
      environment: request.environment,
      admin: false,
      scopes: request.scopes,
      userId: 'u1',
      createdAt: '2026-12-03T10:00:00.000Z',
      revokedAt: null,
      projectId: null,
    };
    keys.push(record);
    return json(201, { key: `${request.environment}_secret-value`, record });
  }
  const revoke = /^\/api\/keys\/([^/]+)$/.exec(path);
  if (revoke && method === 'DELETE') {
    const key = keys.find((entry) => entry.id === revoke[1]);
    if (!key) return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: 'no' } });
    key.revokedAt = '2026-12-03T11:00:00.000Z';
    return json(200, key);
  }
  if (path === '/api/auth/list-sessions') return json(200, sessions);
  if (path === '/api/auth/get-session') return json(200, { session: { id: 's-here' }, user: me });
  if (path === '/api/auth/revoke-other-sessions') {
    sessions = sessions.filter((session) => session.id === 's-here');
    return json(200, { status: true });
  }
  if (path === '/api/auth/revoke-session') {
    sessions = sessions.filter((session) => session.token !== (body as { token: string }).token);
    return json(200, { status: true });
  }
  if (path === '/api/auth/change-password') return passwordAnswer ?? json(200, { token: null });
  if (path === '/api/auth/update-user') return json(200, { status: true });
  return json(404, { error: { code: 'SY_ERR_NOT_FOUND', message: `unexpected ${method} ${path}` } });
}

let mounted: Mounted | null = null;

beforeEach(() => {
  requests = [];
  passwordAnswer = null;
  keys = [
    {
      id: 'k0',
      name: 'laptop script',
      prefix: 'dev_zzzz',
      environment: 'dev',
      admin: false,
      scopes: ['chat'],
      userId: 'u1',
      createdAt: '2026-12-01T09:00:00.000Z',
      revokedAt: null,
      projectId: null,
    },
  ];
  sessions = [
    {
      id: 's-other',
      token: 't-other',
      userAgent: firefoxOnAndroid,
      ipAddress: '10.0.0.7',
      createdAt: '2026-12-01T08:00:00.000Z',
      updatedAt: '2026-12-02T08:00:00.000Z',
      expiresAt: '2026-12-09T08:00:00.000Z',
    },
    {
      id: 's-here',
      token: 't-here',
      userAgent: chromeOnLinux,
      ipAddress: '10.0.0.2',
      createdAt: '2026-12-03T08:00:00.000Z',
      updatedAt: '2026-12-03T08:00:00.000Z',
      expiresAt: '2026-12-10T08:00:00.000Z',
    },
  ];
  vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    requests.push({ method, path: input, body });
    return route(method, input, body);
  });
});

afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  vi.unstubAllGlobals();
  setPreference('language', null);
  setPreference('sendKey', 'enter');
  setPreference('theme', 'system');
  await i18n.changeLanguage('en');
});

const click = (element: Element | null | undefined) =>
  act(async () => {
    (element as HTMLElement).click();
  });

/** Sets a React-controlled input's value the way typing does. */
async function type(input: HTMLInputElement, value: string) {
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
    setter?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function field(container: HTMLElement, label: string): HTMLInputElement {
  for (const element of container.querySelectorAll('label')) {
    const text = element.querySelector('span')?.textContent ?? element.textContent;
    if (text?.trim() === label) {
      const control = element.querySelector('input, select');
      if (control) return control as HTMLInputElement;
    }
  }
  throw new Error(`no field labelled ${label}`);
}

function button(container: HTMLElement, name: string): HTMLButtonElement {
  const found = [...container.querySelectorAll('button')].find(
    (element) => (element.getAttribute('aria-label') ?? element.textContent?.trim()) === name,
  );
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

describe('Settings: own API keys', () => {
  it('creates a key with the chosen environment and scopes, shows the secret once, and revokes after confirming', async () => {
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const { container } = mounted;
    await until(() => expect(container.textContent).toContain('laptop script'));
    const keysSection = container.querySelector('[aria-labelledby="api-keys-heading"]') as HTMLElement;
    await type(field(keysSection, 'Name'), 'ci bot');
    const environment = field(keysSection, 'Environment') as unknown as HTMLSelectElement;
    await act(async () => {
      environment.value = 'prod';
      environment.dispatchEvent(new Event('change', { bubbles: true }));
    });
    // Untick 'messages' and 'apps': the key may chat and make images only.
    for (const scope of ['messages', 'apps']) await click(field(keysSection, scope));
    await click(button(keysSection, 'Create key'));
    await until(() =>
      expect(keysSection.querySelector('[data-testid="new-account-key"]')?.textContent).toBe('prod_secret-value'),
    );
    expect(requests.find((request) => request.method === 'POST' && request.path === '/api/keys')?.body).toEqual({
      name: 'ci bot',
      environment: 'prod',
      scopes: ['chat', 'images'],
    });
    await until(() => expect(keysSection.textContent).toContain('ci bot'));
    expect(keysSection.textContent).toContain('chat, images');
    // The secret goes away with Done and is never listed.
    await click(button(keysSection, 'Done'));
    expect(keysSection.textContent).not.toContain('prod_secret-value');

    await click(button(keysSection, 'Revoke ci bot'));
    expect(requests.some((request) => request.method === 'DELETE')).toBe(false);
    await click(button(keysSection, 'Confirm revoking ci bot'));
    await until(() =>
      expect(requests.some((request) => request.method === 'DELETE' && request.path === '/api/keys/k2')).toBe(true),
    );
    await until(() => expect(keysSection.textContent).not.toContain('ci bot'));
  });

  it('refuses to create a key without a scope', async () => {
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const keysSection = mounted.container.querySelector('[aria-labelledby="api-keys-heading"]') as HTMLElement;
    for (const scope of ['chat', 'images', 'messages', 'apps']) await click(field(keysSection, scope));
    expect(button(keysSection, 'Create key').disabled).toBe(true);
    expect(keysSection.textContent).toContain('Choose at least one scope.');
  });
});

describe('Settings: sessions', () => {
  it('lists this device first, signs one session out, then all others', async () => {
    sessions.push({ ...sessions[0], id: 's-third', token: 't-third', userAgent: null, ipAddress: null });
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const section = mounted.container.querySelector('[aria-labelledby="sessions-heading"]') as HTMLElement;
    await until(() => expect(section.querySelectorAll('li')).toHaveLength(3));
    const items = [...section.querySelectorAll('li')].map((item) => item.textContent ?? '');
    expect(items[0]).toContain('Chrome on Linux');
    expect(items[0]).toContain('this device');
    expect(section.textContent).toContain('Firefox on Android');
    expect(section.textContent).toContain('Unknown device');
    // No sign-out button for the session in use.
    expect(section.querySelectorAll('li')[0]?.querySelector('button')).toBeNull();
    await click(button(section, 'Sign out the session on Firefox on Android'));
    await until(() => expect(section.querySelectorAll('li')).toHaveLength(2));
    expect(requests.find((request) => request.path === '/api/auth/revoke-session')?.body).toEqual({ token: 't-other' });
    await click(button(section, 'Sign out all other sessions'));
    await until(() => expect(section.querySelectorAll('li')).toHaveLength(1));
    expect(button(section, 'Sign out all other sessions').disabled).toBe(true);
  });

  it('names browsers and systems from user agents', () => {
    expect(describeDevice(chromeOnLinux)).toEqual({ browser: 'Chrome', system: 'Linux' });
    expect(describeDevice(firefoxOnAndroid)).toEqual({ browser: 'Firefox', system: 'Android' });
    expect(
      describeDevice('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile Safari/604.1'),
    ).toEqual({
      browser: 'Safari',
      system: 'iOS',
    });
    expect(describeDevice(null)).toBeNull();
  });
});

describe('Settings: profile and password', () => {
  it('saves the name', async () => {
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const section = mounted.container.querySelector('[aria-labelledby="profile-heading"]') as HTMLElement;
    expect(field(section, 'Email').readOnly).toBe(true);
    await type(field(section, 'Name'), 'Ada Lovelace');
    await click(button(section, 'Save name'));
    await until(() => expect(section.textContent).toContain('Saved'));
    expect(requests.find((request) => request.path === '/api/auth/update-user')?.body).toEqual({
      name: 'Ada Lovelace',
    });
  });

  it('changes the password with the current one, and says when the current one is wrong', async () => {
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const section = mounted.container.querySelector('[aria-labelledby="password-heading"]') as HTMLElement;
    await type(field(section, 'Current password'), 'old-password');
    await type(field(section, 'New password'), 'new-password-1');
    await type(field(section, 'New password again'), 'new-password-2');
    expect(section.textContent).toContain('The two new passwords differ.');
    expect(button(section, 'Change password').disabled).toBe(true);
    await type(field(section, 'New password again'), 'new-password-1');
    passwordAnswer = json(400, { code: 'INVALID_PASSWORD', message: 'Invalid password' });
    await act(async () => {
      (section.querySelector('form') as HTMLFormElement).requestSubmit();
    });
    await until(() => expect(section.querySelector('[role="alert"]')?.textContent).toContain('Wrong password'));
    passwordAnswer = null;
    await act(async () => {
      (section.querySelector('form') as HTMLFormElement).requestSubmit();
    });
    await until(() => expect(section.textContent).toContain('Password changed'));
    expect(requests.filter((request) => request.path === '/api/auth/change-password').at(-1)?.body).toEqual({
      currentPassword: 'old-password',
      newPassword: 'new-password-1',
      revokeOtherSessions: true,
    });
  });
});

describe('Settings: preferences', () => {
  it('switches the language of the whole page, and remembers it', async () => {
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const { container } = mounted;
    expect(container.querySelector('h1')?.textContent).toBe('Settings');
    const language = field(container, 'Language') as unknown as HTMLSelectElement;
    await act(async () => {
      language.value = 'pl';
      language.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until(() => expect(container.querySelector('h1')?.textContent).toBe('Ustawienia'));
    expect(container.textContent).toContain('Klucze API');
    expect(document.documentElement.lang).toBe('pl');
    expect(localStorage.getItem('switchyard.language')).toBe('pl');
    expect(getPreferences().language).toBe('pl');
  });

  it('sets the theme and the send key', async () => {
    mounted = await mountWithQueryClient(<SettingsPage me={me} />);
    const { container } = mounted;
    await click(field(container, 'Dark'));
    expect(document.documentElement.classList.contains('dark')).toBe(true);
    expect(localStorage.getItem('switchyard.theme')).toBe('dark');
    await click(field(container, 'Light'));
    expect(document.documentElement.classList.contains('dark')).toBe(false);
    await click(field(container, 'Ctrl+Enter sends, Enter starts a new line'));
    expect(getPreferences().sendKey).toBe('ctrl-enter');
    expect(localStorage.getItem('switchyard.sendKey')).toBe('ctrl-enter');
  });
});
