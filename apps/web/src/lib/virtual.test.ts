import { Virtualizer } from '@tanstack/react-virtual';
import { describe, expect, it } from 'vitest';

/** The same options the sidebar uses, with a fixed 800px viewport instead of layout. */
function windowAt(count: number, scrollTop: number) {
  const element = {} as HTMLDivElement;
  const virtualizer = new Virtualizer<HTMLDivElement, Element>({
    count,
    getScrollElement: () => element,
    estimateSize: () => 40,
    overscan: 10,
    scrollToFn: () => {},
    observeElementRect: (_instance, callback) => {
      callback({ width: 260, height: 800 });
      return () => {};
    },
    observeElementOffset: (_instance, callback) => {
      callback(scrollTop, false);
      return () => {};
    },
  });
  virtualizer._didMount();
  virtualizer._willUpdate();
  return { items: virtualizer.getVirtualItems(), total: virtualizer.getTotalSize() };
}

describe('list virtualization', () => {
  it('renders a small window of 10,000 conversations wherever the list is scrolled', () => {
    const top = windowAt(10_000, 0);
    expect(top.total).toBe(400_000);
    expect(top.items[0]?.index).toBe(0);
    expect(top.items.length).toBeLessThanOrEqual(800 / 40 + 10 + 1);

    const middle = windowAt(10_000, 200_000);
    expect(middle.items[0]?.index).toBe(5_000 - 10);
    expect(middle.items.at(-1)?.index).toBe(5_000 + 20 + 10 - 1);
    expect(middle.items[0]?.start).toBe((5_000 - 10) * 40);

    const end = windowAt(10_000, 400_000 - 800);
    expect(end.items.at(-1)?.index).toBe(9_999);
  });
});
