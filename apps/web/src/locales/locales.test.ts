import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { i18n, resources } from '../lib/i18n';
import { en } from './en';

type Tree = { [key: string]: string | Tree };

/** 'a.b.c' → text for every leaf. */
function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const leaves = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') leaves.set(path, value);
    else for (const [leaf, text] of flatten(value, path)) leaves.set(leaf, text);
  }
  return leaves;
}

const pluralSuffix = /_(zero|one|two|few|many|other)$/;

/** A key as t() is called with it: plural forms are one key. */
function baseKeys(leaves: Map<string, string>): Set<string> {
  return new Set([...leaves.keys()].map((key) => key.replace(pluralSuffix, '')));
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)/g)].map((match) => match[1] ?? '').sort();
}

const english = flatten(en as Tree);
const locales = Object.entries(resources).filter(([language]) => language !== 'en');

describe.each(locales)('the %s locale', (language, bundle) => {
  const leaves = flatten(bundle.translation as Tree);

  it('has every English key, and no key English lacks', () => {
    expect([...baseKeys(english)].filter((key) => !baseKeys(leaves).has(key))).toEqual([]);
    expect([...baseKeys(leaves)].filter((key) => !baseKeys(english).has(key))).toEqual([]);
  });

  it("has each plural key in every form the language's plural rules need", () => {
    const forms = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
    const plural = [...english.keys()].filter((key) => key.endsWith('_other')).map((key) => key.slice(0, -6));
    expect(plural.length).toBeGreaterThan(0);
    const missing = plural.flatMap((key) =>
      forms.filter((form) => !leaves.has(`${key}_${form}`)).map((form) => `${key}_${form}`),
    );
    expect(missing).toEqual([]);
  });

  it('keeps every placeholder of the English text, and no text is empty', () => {
    const wrong: string[] = [];
    for (const [key, text] of leaves) {
      if (text.trim() === '') wrong.push(`${key}: empty`);
      const source = english.get(key) ?? english.get(key.replace(pluralSuffix, '_other'));
      if (source !== undefined && placeholders(source).join() !== placeholders(text).join()) {
        wrong.push(`${key}: ${placeholders(text)} instead of ${placeholders(source)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** Every t('literal.key') in the web app's source names an English key (a typo fails here and in tsc). */
describe('keys used in the source', () => {
  const root = join(import.meta.dirname, '..');
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !path.includes('locales')) files.push(path);
    }
  };
  walk(root);

  it('exist in English', () => {
    const known = baseKeys(english);
    const prefixes = new Set([...english.keys()].map((key) => key.split('.').slice(0, -1).join('.')));
    const unknown: string[] = [];
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/\bt\(\s*(['`])([a-z][\w-]*(?:\.[\w-]+|\.\$\{[^}]+\})+)\1/g)) {
        const key = match[2] ?? '';
        // A template key (`settings.nav.${id}`) must at least name a group that exists.
        const ok = key.includes('${') ? prefixes.has(key.slice(0, key.indexOf('.${'))) : known.has(key);
        if (!ok) unknown.push(`${file.slice(root.length + 1)}: ${key}`);
      }
    }
    expect(files.length).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });
});

/** The Polish plural forms are chosen by count: one, few (2–4, 22–24…), many (5–21, 25…), other (fractions). */
describe('Polish plurals', () => {
  it('picks the form for the count', () => {
    const pl = i18n.getFixedT('pl');
    expect([1, 2, 5, 22, 25].map((count) => pl('gift.progress.products', { count }))).toEqual([
      'znaleziono 1 produkt',
      'znaleziono 2 produkty',
      'znaleziono 5 produktów',
      'znaleziono 22 produkty',
      'znaleziono 25 produktów',
    ]);
    expect(pl('searches.newOf', { count: 3, total: 10 })).toBe('3 nowe z 10');
  });
});
