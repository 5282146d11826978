import { describe, expect, it } from 'vitest';
import { isSendKey } from './preferences';

const key = (fields: Partial<KeyboardEvent>) => ({
  key: 'Enter',
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  isComposing: false,
  ...fields,
});

describe('the composer send key', () => {
  it('Enter sends and Shift+Enter makes a new line by default', () => {
    expect(isSendKey(key({}), 'enter')).toBe(true);
    expect(isSendKey(key({ shiftKey: true }), 'enter')).toBe(false);
    expect(isSendKey(key({ key: 'a' }), 'enter')).toBe(false);
  });

  it('in Ctrl+Enter mode Enter makes a new line and Ctrl or Cmd+Enter sends', () => {
    expect(isSendKey(key({}), 'ctrl-enter')).toBe(false);
    expect(isSendKey(key({ ctrlKey: true }), 'ctrl-enter')).toBe(true);
    expect(isSendKey(key({ metaKey: true }), 'ctrl-enter')).toBe(true);
  });

  it('Ctrl+Enter also sends in Enter mode, and Enter that confirms an IME composition never sends', () => {
    expect(isSendKey(key({ ctrlKey: true }), 'enter')).toBe(true);
    expect(isSendKey(key({ isComposing: true }), 'enter')).toBe(false);
    expect(isSendKey(key({ isComposing: true, ctrlKey: true }), 'ctrl-enter')).toBe(false);
  });
});
