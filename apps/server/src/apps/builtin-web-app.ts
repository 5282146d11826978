import type { AppRuntime, BuiltinAppsConfig } from '@switchyard/core';
import type { SafeFetcher } from '../infrastructure/safe-fetch';
import type { WebSearchProvider } from '../web-search/web-search-provider';
import { type BuiltinSkill, createBuiltinApp, skillFailure } from './builtin-app';
import { readPublicPage } from './read-public-page';

export interface WebAppDependencies {
  /** Null: no provider configured, and the `search` skill is not offered. */
  readonly search: WebSearchProvider | null;
  readonly fetcher: SafeFetcher;
  readonly config: BuiltinAppsConfig['web'];
}

function searchSkill(provider: WebSearchProvider): BuiltinSkill {
  return {
    definition: {
      name: 'search',
      description: 'Search the web. Returns titles, URLs and snippets of the best results.',
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1, maxLength: 400, description: 'What to search for' },
          count: { type: 'integer', minimum: 1, maximum: 20, description: 'How many results (default 5)' },
          language: {
            type: 'string',
            pattern: '^[a-z]{2}(-[A-Za-z]{2})?$',
            description: 'Language of the results, such as en or de',
          },
        },
        required: ['query'],
        additionalProperties: false,
      },
    },
    async run({ input, signal }) {
      const query = String(input.query);
      const results = await provider.search({
        query,
        count: typeof input.count === 'number' ? input.count : 5,
        ...(typeof input.language === 'string' ? { language: input.language } : {}),
        signal,
      });
      if (results.length === 0) return `No results for "${query}".`;
      return results
        .map((hit, index) =>
          [
            `${index + 1}. ${hit.title}`,
            `   ${hit.url}`,
            ...(hit.published_at ? [`   published ${hit.published_at.slice(0, 10)}`] : []),
            ...(hit.snippet ? [`   ${hit.snippet}`] : []),
          ].join('\n'),
        )
        .join('\n\n');
    },
  };
}

function fetchSkill(fetcher: SafeFetcher): BuiltinSkill {
  return {
    definition: {
      name: 'fetch',
      description:
        'Read a public web page (http or https): returns its title and readable text. Private and local addresses are refused.',
      inputSchema: {
        type: 'object',
        properties: { url: { type: 'string', minLength: 1, maxLength: 2048, description: 'The page URL' } },
        required: ['url'],
        additionalProperties: false,
      },
    },
    async run({ input, signal }) {
      const page = await readPublicPage(fetcher, String(input.url), signal);
      // The call worked; the page did not: the model reads why (refused, unreachable, too slow, not text).
      if (!page.ok) return skillFailure(page.reason);
      return [
        ...(page.title ? [`Title: ${page.title}`] : []),
        `URL: ${page.url}`,
        '',
        page.text,
        ...(page.truncated ? ['', '[The page was longer; it was cut at the size limit.]'] : []),
      ].join('\n');
    },
  };
}

/** The built-in `web` app: `search` through the configured web-search provider, `fetch` of public pages. */
export function createWebApp({ search, fetcher, config }: WebAppDependencies): AppRuntime {
  return createBuiltinApp({
    id: 'web',
    name: 'Web',
    description: 'Search the web and read public pages.',
    environments: config?.environments,
    timeoutMs: config?.timeoutMs,
    maxOutputBytes: config?.maxOutputBytes,
    skills: [...(search ? [searchSkill(search)] : []), fetchSkill(fetcher)],
    close: () => fetcher.close(),
  });
}
