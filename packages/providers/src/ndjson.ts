/**
 * Splits a text stream into lines. TCP delivers bytes in arbitrary pieces, so a
 * line may arrive split across chunks and several lines may share one chunk.
 */
export function createLineSplitter(): { push(text: string): string[]; end(): string[] } {
  let pending = '';
  return {
    push(text) {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      return lines.map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '');
    },
    end() {
      const rest = pending.trim();
      pending = '';
      return rest === '' ? [] : [rest];
    },
  };
}
