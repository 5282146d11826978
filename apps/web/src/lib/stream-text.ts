/**
 * The text of the answer being streamed, outside React state: deltas are appended here and
 * subscribers (only the streaming row) are told at most once per animation frame, so a fast
 * stream neither re-renders the message list nor renders more often than the screen updates.
 */
export interface StreamText {
  get(): string;
  append(text: string): void;
  /** Makes the appended text visible now (the stream ended). */
  flush(): void;
  reset(text?: string): void;
  subscribe(listener: () => void): () => void;
}

export function createStreamText(
  schedule: (callback: () => void) => void = (callback) =>
    typeof requestAnimationFrame === 'function' ? requestAnimationFrame(callback) : setTimeout(callback, 16),
): StreamText {
  let visible = '';
  let pending = '';
  let scheduled = false;
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const listener of listeners) listener();
  };
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    visible += pending;
    pending = '';
    emit();
  };
  return {
    get: () => visible,
    append(text) {
      pending += text;
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
    reset(text = '') {
      visible = text;
      pending = '';
      emit();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
