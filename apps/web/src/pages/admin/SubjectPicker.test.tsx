// @vitest-environment happy-dom
import { act, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../../testing/mount';
import { until } from '../../testing/until';
import { type Subject, SubjectPicker, type SubjectType } from './SubjectPicker';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const users = [
  { id: 'user_ada', email: 'ada@example.test', name: 'Ada', role: 'user' },
  { id: 'user_alan', email: 'alan@example.test', name: 'Alan', role: 'admin' },
  { id: 'user_grace', email: 'grace@example.test', name: '', role: 'user' },
];
const keys = [{ id: 'key_1', name: 'billing bot', prefix: 'prod_ab12', environment: 'prod' }];
const projects = [{ id: 'proj_1', name: 'Research', ownerEmail: 'ada@example.test' }];

let searched: string[];
let chosen: Subject | null;
let mounted: Mounted;

function Harness({ type }: { type: SubjectType }) {
  const [value, setValue] = useState<Subject | null>(null);
  return (
    <SubjectPicker
      type={type}
      value={value}
      onChange={(next) => {
        chosen = next;
        setValue(next);
      }}
    />
  );
}

function answer(url: URL): unknown {
  const q = (url.searchParams.get('q') ?? '').toLowerCase();
  if (url.pathname === '/api/users') return { users: users.filter((user) => user.email.includes(q)) };
  if (url.pathname === '/v1/admin/keys') {
    return { keys: keys.filter((key) => key.name.includes(q) || key.prefix.includes(q)) };
  }
  return { projects: projects.filter((project) => project.name.toLowerCase().includes(q)), total: 1 };
}

beforeEach(() => {
  searched = [];
  chosen = null;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      const url = new URL(input, 'http://localhost');
      searched.push(`${url.pathname}?${url.searchParams}`);
      return new Response(JSON.stringify(answer(url)), { headers: { 'content-type': 'application/json' } });
    }),
  );
});

afterEach(async () => {
  await mounted?.unmount();
  vi.unstubAllGlobals();
});

const combobox = () => mounted.container.querySelector('[role="combobox"]') as HTMLInputElement;
const listbox = () => mounted.container.querySelector('[role="listbox"]') as HTMLElement;
const options = () => [...mounted.container.querySelectorAll('[role="option"]')];

async function type(text: string) {
  await act(async () => {
    combobox().focus();
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(combobox(), text);
    combobox().dispatchEvent(new Event('input', { bubbles: true }));
  });
}
const press = (key: string) =>
  act(async () => {
    combobox().dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  });

describe('plan subject picker', () => {
  it('searches users by email and is driven by the keyboard (combobox pattern)', async () => {
    mounted = await mountWithQueryClient(<Harness type="user" />);
    expect(combobox().getAttribute('aria-controls')).toBe(listbox().id);
    expect(combobox().getAttribute('aria-autocomplete')).toBe('list');
    expect(combobox().getAttribute('aria-expanded')).toBe('false');
    // The label names the control.
    expect(mounted.container.querySelector(`label[for="${combobox().id}"]`)?.textContent).toBe('Who');

    await type('al');
    await until(() => {
      if (options().length !== 1) throw new Error('not filtered yet');
    });
    expect(searched.at(-1)).toBe('/api/users?q=al&limit=10');
    expect(options()[0]?.textContent).toBe('alan@example.test (Alan)');

    await type('a');
    await until(() => {
      if (options().length !== 3) throw new Error('not searched yet');
    });
    expect(combobox().getAttribute('aria-expanded')).toBe('true');
    expect(combobox().getAttribute('aria-activedescendant')).toBe(options()[0]?.id);
    await press('ArrowDown');
    await press('ArrowDown');
    expect(combobox().getAttribute('aria-activedescendant')).toBe(options()[2]?.id);
    expect(options()[2]?.getAttribute('aria-selected')).toBe('true');
    await press('ArrowDown'); // wraps to the first
    await press('ArrowUp'); // and back to the last
    expect(combobox().getAttribute('aria-activedescendant')).toBe(options()[2]?.id);

    await press('Enter');
    expect(chosen).toEqual({ id: 'user_grace', label: 'grace@example.test' });
    expect(combobox().value).toBe('grace@example.test');
    expect(combobox().getAttribute('aria-expanded')).toBe('false');
    expect(combobox().getAttribute('aria-description')).toBe('Chosen: grace@example.test');

    // Typing again drops the choice; Escape closes the list without choosing.
    await type('ada');
    expect(chosen).toBeNull();
    await until(() => {
      if (options().length !== 1) throw new Error('not searched yet');
    });
    await press('Escape');
    expect(combobox().getAttribute('aria-expanded')).toBe('false');
    expect(chosen).toBeNull();
  });

  it('searches keys by name or prefix and projects by name, and says when nothing matches', async () => {
    mounted = await mountWithQueryClient(<Harness type="key" />);
    await type('ab12');
    await until(() => {
      if (options().length !== 1) throw new Error('not searched yet');
    });
    expect(searched.at(-1)).toBe('/v1/admin/keys?q=ab12&limit=10');
    expect(options()[0]?.textContent).toBe('billing bot (prod_ab12…, prod)');
    await act(async () => {
      options()[0]?.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, cancelable: true }));
    });
    expect(chosen?.id).toBe('key_1');
    await mounted.unmount();

    mounted = await mountWithQueryClient(<Harness type="project" />);
    await type('nothing like it');
    await until(() => {
      if (!listbox().textContent?.includes('Nothing matches.')) throw new Error('not searched yet');
    });
    expect(searched.at(-1)).toBe('/v1/admin/projects?q=nothing+like+it&limit=10');
    expect(options()).toHaveLength(0);
  });
});
