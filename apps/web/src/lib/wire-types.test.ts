import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Wire from '@switchyard/api-schemas';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ChatModel, Me } from './api';
import type { ChatFields, ChatMessage, ChatSummary, SearchHit } from './conversations';
import type { FileLimits, UploadedFile } from './files';
import type { NewTemplate, PromptTemplate } from './templates';

/**
 * The web app's wire types are the server's own (@switchyard/api-schemas), never copies. The
 * `expectTypeOf` lines are checked by the type checker (`npm run typecheck`), where a hand-copied
 * type that drifts from the server's schema fails; the test below checks the bundle side at run time.
 */
describe("the web app's wire types", () => {
  it('are the types of the server schemas', () => {
    expectTypeOf<Me>().toEqualTypeOf<Wire.Me>();
    expectTypeOf<ChatModel>().toEqualTypeOf<Wire.NativeModel>();
    expectTypeOf<ChatSummary>().toEqualTypeOf<Wire.ChatSummary>();
    expectTypeOf<SearchHit>().toEqualTypeOf<Wire.SearchHit>();
    expectTypeOf<ChatFields>().toEqualTypeOf<Wire.UpdateChatRequest>();
    expectTypeOf<UploadedFile>().toEqualTypeOf<Wire.UploadedFile>();
    expectTypeOf<FileLimits>().toEqualTypeOf<Wire.FileLimits>();
    expectTypeOf<PromptTemplate>().toEqualTypeOf<Wire.PromptTemplate>();
    expectTypeOf<NewTemplate>().toEqualTypeOf<Wire.CreateTemplateRequest>();
    // The UI shows its own messages before the server has them: the server's fields, some optional.
    expectTypeOf<Wire.ConversationMessage>().toExtend<ChatMessage>();
    expectTypeOf<ChatMessage['role']>().toEqualTypeOf<Wire.ConversationMessage['role']>();
    expectTypeOf<NonNullable<ChatMessage['status']>>().toEqualTypeOf<Wire.ConversationMessage['status']>();
  });

  it('import the schema package for types only, so none of its code reaches the bundle', () => {
    const source = join(dirname(fileURLToPath(import.meta.url)), '..');
    const files = (function walk(directory: string): string[] {
      return readdirSync(directory).flatMap((name) => {
        const path = join(directory, name);
        return statSync(path).isDirectory() ? walk(path) : /\.tsx?$/.test(name) ? [path] : [];
      });
    })(source);
    const importers = files.filter((file) => readFileSync(file, 'utf8').includes("'@switchyard/api-schemas'"));
    expect(importers.length).toBeGreaterThan(5);
    const valueImports = importers.filter((file) =>
      /(^|\n)\s*(import|export)\s+(?!type\b)[^;]*?from\s+'@switchyard\/api-schemas'/.test(readFileSync(file, 'utf8')),
    );
    expect(valueImports.map((file) => relative(source, file))).toEqual([]);
  });
});
