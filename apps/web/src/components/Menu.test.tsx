// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { type Mounted, mountWithQueryClient } from '../testing/mount';
import { MenuButton } from './Menu';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let mounted: Mounted | null = null;
let ran: string[] = [];
afterEach(async () => {
  await mounted?.unmount();
  mounted = null;
  ran = [];
});

async function mountMenu() {
  const item = (key: string, text: string) => ({ key, text, run: () => ran.push(key) });
  mounted = await mountWithQueryClient(
    <MenuButton
      label="Actions for Chat 1"
      items={[item('pin', 'Pin'), item('rename', 'Rename'), item('delete', 'Delete')]}
    >
      ⋯
    </MenuButton>,
  );
  const trigger = mounted.container.querySelector('button[aria-haspopup="menu"]') as HTMLButtonElement;
  return trigger;
}

const press = (key: string, target = document.activeElement) =>
  act(async () => {
    target?.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  });

const focused = () => document.activeElement?.textContent;

describe('MenuButton (the chat ⋯ menu)', () => {
  it('given its items as a function, makes them only when the menu is used, and works the same', async () => {
    let made = 0;
    const item = (key: string, text: string) => ({ key, text, run: () => ran.push(key) });
    mounted = await mountWithQueryClient(
      <MenuButton
        label="Actions for Chat 1"
        items={() => {
          made++;
          return [item('pin', 'Pin'), item('rename', 'Rename'), item('delete', 'Delete')];
        }}
      >
        ⋯
      </MenuButton>,
    );
    const trigger = mounted.container.querySelector('button[aria-haspopup="menu"]') as HTMLButtonElement;
    expect(made).toBe(0);
    trigger.focus();
    await press('ArrowUp');
    expect(made).toBeGreaterThan(0);
    expect(focused()).toBe('Delete');
    await press('r');
    expect(focused()).toBe('Rename');
    await act(async () => (document.activeElement as HTMLButtonElement).click());
    expect(ran).toEqual(['rename']);
  });

  it('opens on the first item, moves with the arrow keys, Home and End, and wraps around', async () => {
    const trigger = await mountMenu();
    trigger.focus();
    await press('Enter');
    expect(trigger.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement?.getAttribute('role')).toBe('menuitem');
    expect(focused()).toBe('Pin');
    await press('ArrowDown');
    expect(focused()).toBe('Rename');
    await press('ArrowDown');
    await press('ArrowDown');
    expect(focused()).toBe('Pin');
    await press('ArrowUp');
    expect(focused()).toBe('Delete');
    await press('Home');
    expect(focused()).toBe('Pin');
    await press('End');
    expect(focused()).toBe('Delete');
    await press('r');
    expect(focused()).toBe('Rename');
    // One tab stop: only the active item is in the tab order.
    const items = [...(mounted?.container.querySelectorAll('[role="menuitem"]') ?? [])];
    expect(items.map((item) => item.getAttribute('tabindex'))).toEqual(['-1', '0', '-1']);
  });

  it('closes on Escape and gives focus back to its button (not to the page body)', async () => {
    const trigger = await mountMenu();
    trigger.focus();
    await press('ArrowDown');
    expect(focused()).toBe('Pin');
    await press('Escape');
    expect(mounted?.container.querySelector('[role="menu"]')).toBeNull();
    expect(document.activeElement).toBe(trigger);
    expect(trigger.getAttribute('aria-expanded')).toBe('false');
  });

  it('opens on the last item with ArrowUp, runs the chosen item and returns focus', async () => {
    const trigger = await mountMenu();
    trigger.focus();
    await press('ArrowUp');
    expect(focused()).toBe('Delete');
    await act(async () => (document.activeElement as HTMLElement).click());
    expect(ran).toEqual(['delete']);
    expect(mounted?.container.querySelector('[role="menu"]')).toBeNull();
    expect(document.activeElement).toBe(trigger);
  });

  it('closes when the pointer goes down outside it', async () => {
    const trigger = await mountMenu();
    await act(async () => trigger.click());
    expect(mounted?.container.querySelector('[role="menu"]')).not.toBeNull();
    await act(async () => {
      document.body.dispatchEvent(new Event('pointerdown', { bubbles: true }));
    });
    expect(mounted?.container.querySelector('[role="menu"]')).toBeNull();
    expect(ran).toEqual([]);
  });
});
