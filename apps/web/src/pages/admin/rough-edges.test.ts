import { describe, expect, it } from 'vitest';
import { scopesText } from './Keys';
import { describeDefault } from './Settings';

describe('Admin → Keys scopes', () => {
  it("names 'admin' once for an admin key, first", () => {
    expect(scopesText({ admin: true, scopes: ['admin', 'chat', 'images'] })).toBe('admin, chat, images');
    expect(scopesText({ admin: true, scopes: ['chat'] })).toBe('admin, chat');
    expect(scopesText({ admin: false, scopes: ['chat', 'apps'] })).toBe('chat, apps');
  });
});

describe('Admin → Settings defaults', () => {
  it('says an empty default is empty instead of printing "Default ."', () => {
    expect(describeDefault('')).toBe('Empty by default');
    expect(describeDefault([])).toBe('Empty by default');
    expect(describeDefault(60)).toBe('Default 60');
    expect(describeDefault(10_000_000)).toBe('Default 10,000,000');
    expect(describeDefault(['a', 'b'])).toBe('Default a, b');
    expect(describeDefault(false)).toBe('Default false');
  });
});
