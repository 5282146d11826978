import rehypeHighlight from 'rehype-highlight';

/**
 * highlight.js (lowlight with ~35 common grammars, registered when this module runs) in a chunk of its
 * own: Markdown.tsx imports it once the first answers are drawn, off the chat's first render.
 *
 * rehype-highlight builds a lowlight instance (compiling the grammars) each time the plugin is
 * attached, and react-markdown attaches plugins on every render: the transformer is made once here and
 * the plugin hands back the same one.
 *
 * `detect`: a block without a language tag is highlighted as the grammar that fits it best; a block
 * tagged `text`/`plain` stays plain. Rendered trees are cached per message, so detection runs once per
 * answer. Detection tries the languages answers are mostly written in, not all ~35: it costs a parse
 * per grammar.
 */
const detectable = [
  'bash',
  'c',
  'cpp',
  'csharp',
  'css',
  'go',
  'java',
  'javascript',
  'json',
  'php',
  'python',
  'ruby',
  'rust',
  'sql',
  'typescript',
  'xml',
  'yaml',
];

export const highlightTransformer = rehypeHighlight({
  detect: true,
  subset: detectable,
  plainText: ['text', 'txt', 'plain', 'plaintext', 'math', 'mermaid'],
});
