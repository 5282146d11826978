import { describe, expect, it } from 'vitest';
import { stripMarkdown } from './plain-text';

describe('stripMarkdown (chat titles)', () => {
  it('keeps the words and drops the Markdown', () => {
    expect(stripMarkdown('**Fix** the `build` in [CI](https://ci.example/run)')).toBe('Fix the build in CI');
    expect(stripMarkdown('# Plan for *next* week')).toBe('Plan for next week');
    expect(stripMarkdown('- [x] ~~done~~ item')).toBe('done item');
    expect(stripMarkdown('> quoted _text_ ![a chart](/v1/image/1)')).toBe('quoted text a chart');
    expect(stripMarkdown('```js\nconst a = 1;\n```')).toBe('const a = 1;');
    expect(stripMarkdown('| a | b |')).toBe('a b');
  });

  it('leaves plain text and inner-word characters alone', () => {
    expect(stripMarkdown('How do I use snake_case_names in 2 * 3?')).toBe('How do I use snake_case_names in 2 * 3?');
    expect(stripMarkdown('Plain title')).toBe('Plain title');
  });
});
