import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';

export interface MenuItem {
  key: string;
  text: string;
  /** The accessible name when the visible text needs context (e.g. "Rename <chat title>"). */
  label?: string;
  run(): void;
}

/**
 * A button that opens a menu: the WAI-ARIA menu button pattern. Enter, Space or ↓ on the button opens
 * it on the first item (↑ on the last); ↑ ↓ Home End and a letter move between items; Esc closes it and
 * puts focus back on the button; Tab or a click elsewhere closes it. Items are rendered only while open.
 */
export function MenuButton({
  label,
  items,
  children,
  buttonClassName,
  menuClassName,
}: {
  /** The button's (and the menu's) accessible name. */
  label: string;
  /**
   * The items, or a function that makes them when the menu is used: a list of 10,000 rows with a menu
   * each then translates the items' labels of the one menu opened, not of every row it draws.
   */
  items: readonly MenuItem[] | (() => readonly MenuItem[]);
  children: ReactNode;
  buttonClassName?: string;
  menuClassName?: string;
}) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const trigger = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const itemRefs = useRef<Array<HTMLButtonElement | null>>([]);
  const menuId = useId();
  const itemList = (): readonly MenuItem[] => (typeof items === 'function' ? items() : items);

  useEffect(() => {
    if (open) itemRefs.current[active]?.focus();
  }, [open, active]);

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node | null;
      if (!menu.current?.contains(target) && !trigger.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  const openAt = (index: number) => {
    const count = itemList().length;
    setActive((index + count) % count);
    setOpen(true);
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) trigger.current?.focus();
  };

  const onTriggerKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      openAt(0);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(itemList().length - 1);
    }
  };

  const onMenuKeyDown = (event: KeyboardEvent) => {
    const items = itemList();
    const last = items.length - 1;
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = active >= last ? 0 : active + 1;
    else if (event.key === 'ArrowUp') next = active <= 0 ? last : active - 1;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = last;
    else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    } else if (event.key === 'Tab') {
      setOpen(false);
      return;
    } else if (event.key.length === 1 && /\S/.test(event.key)) {
      const letter = event.key.toLowerCase();
      const order = [...items.slice(active + 1), ...items.slice(0, active + 1)];
      const found = order.find((item) => item.text.toLowerCase().startsWith(letter));
      if (found) next = items.indexOf(found);
    }
    if (next === null) return;
    event.preventDefault();
    setActive(next);
  };

  return (
    <>
      <button
        ref={trigger}
        type="button"
        className={buttonClassName}
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => (open ? close(false) : openAt(0))}
        onKeyDown={onTriggerKeyDown}
      >
        {children}
      </button>
      {open && (
        <div ref={menu} id={menuId} role="menu" aria-label={label} className={menuClassName} onKeyDown={onMenuKeyDown}>
          {itemList().map((item, index) => (
            <button
              key={item.key}
              ref={(element) => {
                itemRefs.current[index] = element;
              }}
              type="button"
              role="menuitem"
              tabIndex={index === active ? 0 : -1}
              aria-label={item.label}
              className="px-3 py-1.5 text-left text-sm hover:bg-slate-100 focus:bg-slate-100 dark:hover:bg-slate-800 dark:focus:bg-slate-800"
              onClick={() => {
                close(true);
                item.run();
              }}
            >
              {item.text}
            </button>
          ))}
        </div>
      )}
    </>
  );
}
