import type { AppRuntime, BuiltinAppsConfig } from '@switchyard/core';
import { createFileRepository } from '@switchyard/db';
import type { Databases } from '../infrastructure/databases';
import { type BuiltinSkill, createBuiltinApp, skillFailure } from './builtin-app';

export interface FilesAppDependencies {
  readonly databases: Databases;
  readonly config: BuiltinAppsConfig['files'];
}

const snippetRadius = 160;

function occurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1 && count < 100; at = haystack.indexOf(needle, at + needle.length)) {
    count += 1;
  }
  return count;
}

/** The text around the first place a term occurs, on word boundaries where it can. */
function snippetOf(text: string, lower: string, terms: readonly string[]): string {
  const first = Math.min(...terms.map((term) => lower.indexOf(term)).filter((at) => at !== -1));
  if (!Number.isFinite(first))
    return text
      .slice(0, snippetRadius * 2)
      .replace(/\s+/g, ' ')
      .trim();
  const start = Math.max(0, first - snippetRadius);
  const end = Math.min(text.length, first + snippetRadius);
  const body = text.slice(start, end).replace(/\s+/g, ' ').trim();
  return `${start > 0 ? '…' : ''}${body}${end < text.length ? '…' : ''}`;
}

function searchSkill({ databases }: FilesAppDependencies): BuiltinSkill {
  return {
    definition: {
      name: 'search',
      description:
        "Search the text of the caller's own uploaded documents. Returns the best-matching files with a passage from each.",
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1, maxLength: 200, description: 'Words to look for' },
          limit: { type: 'integer', minimum: 1, maximum: 20, description: 'How many files at most (default 5)' },
        },
        required: ['query'],
        additionalProperties: false,
      },
    },
    async run({ environment, caller, input }) {
      if (!caller.userId) {
        return skillFailure(
          'The files app searches the uploads of a user; this call has no user. Use an API key that belongs to a user, or sign in.',
        );
      }
      const query = String(input.query);
      const terms = [...new Set(query.toLowerCase().split(/\s+/))].filter((term) => term.length >= 2).slice(0, 8);
      if (terms.length === 0) return skillFailure('The query needs a word of at least two characters.');
      const limit = typeof input.limit === 'number' ? input.limit : 5;
      // Only the caller's own rows, in their environment's database: the object-level check is the query.
      const candidates = await createFileRepository(databases[environment].db).searchForUser(caller.userId, terms, 50);
      const ranked = candidates
        .map((file) => {
          const text = file.extractedText ?? '';
          const lower = text.toLowerCase();
          const name = file.name.toLowerCase();
          const found = terms.filter((term) => lower.includes(term) || name.includes(term));
          const score =
            found.length * 100 +
            terms.reduce((sum, term) => sum + occurrences(lower, term), 0) +
            terms.filter((term) => name.includes(term)).length * 10;
          return { file, score, snippet: snippetOf(text, lower, terms) };
        })
        .sort((left, right) => right.score - left.score)
        .slice(0, limit);
      if (ranked.length === 0) return `No uploaded document mentions "${query}".`;
      return ranked
        .map(
          ({ file, snippet }, index) =>
            `${index + 1}. ${file.name} (file ${file.id}, uploaded ${file.createdAt.toISOString().slice(0, 10)})\n   ${snippet}`,
        )
        .join('\n\n');
    },
  };
}

/** The built-in `files` app: `search` over the caller's own uploads' extracted text. */
export function createFilesApp(dependencies: FilesAppDependencies): AppRuntime {
  const config = dependencies.config;
  return createBuiltinApp({
    id: 'files',
    name: 'Files',
    description: 'Search your uploaded documents.',
    environments: config?.environments,
    timeoutMs: config?.timeoutMs,
    maxOutputBytes: config?.maxOutputBytes,
    skills: [searchSkill(dependencies)],
  });
}
