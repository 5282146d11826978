import { type ChatMessage, isTextPart } from './spec';

/** The text of a message; multi-part content keeps its text parts, one per line. */
export function textOfContent(content: ChatMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .filter(isTextPart)
    .map((part) => part.text)
    .join('\n');
}

export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role === 'user') return textOfContent(message.content);
  }
  return '';
}
