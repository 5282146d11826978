/**
 * Markdown → the text a reader sees, for one-line places (chat titles in the sidebar and the header):
 * "**Fix** the `build` in [CI](https://…)" → "Fix the build in CI". Not a Markdown parser: a title is
 * short, and a leftover character is harmless where a parse per sidebar row (10,000 of them) is not.
 */
export function stripMarkdown(text: string): string {
  return (
    text
      // fenced code markers and their language tags
      .replace(/```[\w+-]*/g, ' ')
      // images and links keep their text
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      // line starts: headings, quotes, list markers, task boxes
      .replace(/^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)/gm, '')
      // emphasis, strikethrough and inline code markers around text
      .replace(/(\*\*|__|~~)(?=\S)([\s\S]*?\S)\1/g, '$2')
      .replace(/(^|[^\w*])([*_])(?=\S)([^*_]*?\S)\2(?=[^\w*]|$)/g, '$1$3')
      .replace(/`([^`]*)`/g, '$1')
      // table pipes and math delimiters
      .replace(/\s*\|\s*/g, ' ')
      .replace(/\${1,2}/g, '')
      .replace(/\s+/g, ' ')
      .trim()
  );
}
