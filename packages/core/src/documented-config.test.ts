import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const root = join(import.meta.dirname, '..', '..', '..');

function load(yaml: string) {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-documented-'));
  writeFileSync(join(directory, 'switchyard.config.yaml'), yaml);
  // Every ${VAR} without a fallback that the documents use, so the examples validate as written.
  const variables = Object.fromEntries(
    [...yaml.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((match) => [match[1] as string, `value-of-${match[1]}`]),
  );
  return loadConfig(variables, directory);
}

describe('the configuration examples in the docs are valid', () => {
  it('switchyard.config.example.yaml', () => {
    const config = load(readFileSync(join(root, 'switchyard.config.example.yaml'), 'utf8'));
    expect(config.models.map((model) => model.id)).toContain('balanced');
    expect(config.providers.find((provider) => provider.id === 'gemini')?.apiKeys).toHaveLength(2);
  });

  it('the complete example in docs/routing.md', () => {
    const markdown = readFileSync(join(root, 'docs', 'routing.md'), 'utf8');
    const section = markdown.slice(markdown.indexOf('## A complete example'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const config = load(yaml ?? '');
    expect(config.models.find((model) => model.id === 'smart')?.fallbacks).toEqual(['gpt-4o-mini']);
  });

  it('the built-in apps examples in docs/apps.md', () => {
    const markdown = readFileSync(join(root, 'docs', 'apps.md'), 'utf8');
    const section = markdown.slice(
      markdown.indexOf('## Built-in apps'),
      markdown.indexOf('## Connecting an MCP server'),
    );
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
    expect(blocks).toHaveLength(2);
    const config = load(blocks.join('\n'));
    expect(config.webSearch).toMatchObject({ type: 'searxng' });
    expect(config.builtinApps.images?.enabled).toBe(false);
  });

  it("the gift finder's profile source in docs/gift-finder-profiles.md", () => {
    const markdown = readFileSync(join(root, 'docs', 'gift-finder-profiles.md'), 'utf8');
    const yaml = /```yaml\n(giftFinder:[\s\S]*?)```/.exec(markdown)?.[1];
    expect(yaml).toBeDefined();
    const config = load(yaml ?? '');
    expect(config.giftFinder.profile).toMatchObject({ source: 'brightdata', brightdata: { zone: 'web_unlocker1' } });
  });

  it('the whatsapp section in docs/whatsapp.md', () => {
    const markdown = readFileSync(join(root, 'docs', 'whatsapp.md'), 'utf8');
    const yaml = /```yaml\n(whatsapp:[\s\S]*?)```/.exec(markdown)?.[1];
    expect(yaml).toBeDefined();
    const config = load(`models:\n  - id: smart\n    provider: echo\n${yaml ?? ''}`);
    expect(config.whatsapp?.senders.prod).toMatchObject({ kind: 'graph', phoneNumberId: '109876543210987' });
    expect(config.whatsapp?.senders.dev).toMatchObject({ kind: 'dry-run' });
    expect(config.whatsapp?.bot).toMatchObject({ enabled: true, model: 'smart' });
  });

  it('the audio models in docs/voice.md', () => {
    const markdown = readFileSync(join(root, 'docs', 'voice.md'), 'utf8');
    const yaml = /```yaml\n(audioModels:[\s\S]*?)```/.exec(markdown)?.[1];
    expect(yaml).toBeDefined();
    const config = load(yaml ?? '');
    expect(config.audioModels.map((model) => model.kind ?? 'transcription')).toEqual([
      'transcription',
      'transcription',
      'transcription',
      'speech',
    ]);
  });

  it('the README example', () => {
    const markdown = readFileSync(join(root, 'README.md'), 'utf8');
    const yaml = /```yaml\n(providers:[\s\S]*?)```/.exec(markdown)?.[1];
    expect(yaml).toBeDefined();
    expect(load(yaml ?? '').defaultModel).toBe('fast');
  });

  it('the gift finder example in docs/gift-finder.md', () => {
    const markdown = readFileSync(join(root, 'docs', 'gift-finder.md'), 'utf8');
    const yaml = /```yaml\n(marketplaces:[\s\S]*?)```/.exec(markdown)?.[1];
    expect(yaml).toBeDefined();
    const config = load(yaml ?? '');
    expect(config.giftFinder.fetch?.ebay?.productsPerIdea).toBe(5);
    expect(config.marketplaces.ebay?.marketplaceId).toBe('EBAY_DE');
  });
});
