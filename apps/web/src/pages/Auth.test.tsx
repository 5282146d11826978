// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { until } from '../testing/until';
import { SignIn } from './Auth';
import { Landing, readinessInterval } from './Landing';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let mounted: Mounted | null = null;
let answers: Record<string, () => Response>;
beforeEach(() => {
  answers = {};
  vi.stubGlobal('fetch', async (input: string) => answers[input]?.() ?? json(404, {}));
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

describe('Sign in with a wrong password', () => {
  it('says the email or password is wrong, without a redundant sign-in link', async () => {
    answers['/api/auth-config'] = () => json(200, { socialProviders: [], emailAndPassword: { signUp: true } });
    answers['/api/auth/sign-in/email'] = () =>
      json(401, { code: 'INVALID_EMAIL_OR_PASSWORD', message: 'Invalid email or password' });
    mounted = await mountWithQueryClient(<SignIn />);
    const form = mounted.container.querySelector('form') as HTMLFormElement;
    const inputs = mounted.container.querySelectorAll('input');
    await type(inputs[0] as HTMLInputElement, 'ada@example.com');
    await type(inputs[1] as HTMLInputElement, 'wrong-password');
    await act(async () => form.requestSubmit());
    const alert = await until(() => {
      const found = mounted?.container.querySelector('[role="alert"]');
      if (!found) throw new Error('no alert yet');
      return found;
    });
    expect(alert.textContent).toContain('Sign-in failed');
    expect(alert.textContent).toContain('The email or password is not right.');
    expect(alert.textContent).not.toContain('Please sign in');
    expect(alert.querySelector('button')).toBeNull();
  });
});

describe('Landing status', () => {
  it('asks again every 2 s until ready, then every 30 s', () => {
    expect(readinessInterval(undefined)).toBe(2_000);
    expect(readinessInterval(false)).toBe(2_000);
    expect(readinessInterval(true)).toBe(30_000);
  });

  it('shows a starting server as starting (not a red failure), then ready', async () => {
    let ready = false;
    answers['/ready'] = () => json(ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' });
    mounted = await mountWithQueryClient(<Landing signedIn={false} />);
    const status = () => mounted?.container.querySelector('[data-testid="readiness"] [role="status"]');
    await until(() => expect(status()?.textContent).toBe('starting, checking again…'));
    expect(status()?.querySelector('.text-red-600')).toBeNull();
    ready = true;
    // The next poll comes by itself (2 s): wait for it rather than for a fixed time.
    await until(() => expect(status()?.textContent).toBe('ready'), 1_500);
  });
});
