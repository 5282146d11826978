import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  type AppError,
  AppErrorSchema,
  check,
  type SkillAnswer,
  SkillAnswerSchema,
  type SkillProgressEvent,
  SkillProgressSchema,
} from './manifest';

/** What a streamed skill answer (`content-type: text/event-stream`) carries. */
export type SkillStreamEvent =
  | { type: 'progress'; progress: SkillProgressEvent }
  | { type: 'result'; answer: SkillAnswer }
  | { type: 'error'; error: AppError['error'] };

/** One server-sent event as an app writes it. */
export function formatSkillEvent(event: SkillStreamEvent): string {
  const data =
    event.type === 'progress' ? event.progress : event.type === 'result' ? event.answer : { error: event.error };
  return `event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The stream broke the protocol: an event that is not JSON or not of its shape, or too much data. */
export class SkillStreamError extends Error {}

function parseEvent(message: EventSourceMessage): SkillStreamEvent | null {
  if (message.event !== 'progress' && message.event !== 'result' && message.event !== 'error') return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new SkillStreamError(`its '${message.event}' event is not JSON`);
  }
  if (message.event === 'progress') {
    const checked = check(SkillProgressSchema, data);
    if (!checked.ok) throw new SkillStreamError(`its progress event is invalid: ${checked.reason}`);
    return { type: 'progress', progress: checked.value };
  }
  if (message.event === 'result') {
    const checked = check(SkillAnswerSchema, data);
    if (!checked.ok) throw new SkillStreamError(`its result event is invalid: ${checked.reason}`);
    return { type: 'result', answer: checked.value };
  }
  const checked = check(AppErrorSchema, data);
  if (!checked.ok) throw new SkillStreamError(`its error event is invalid: ${checked.reason}`);
  return { type: 'error', error: checked.value.error };
}

/**
 * Reads a streamed skill answer: `progress` events, then one `result` or `error` (the stream ends
 * there). Other event names and comments are skipped (keep-alives, newer protocol versions).
 * More than `maxBytes` of stream is a protocol error rather than memory spent on a runaway app.
 */
export async function* readSkillEvents(
  body: AsyncIterable<Uint8Array>,
  { maxBytes = 4 * 1024 * 1024 }: { maxBytes?: number } = {},
): AsyncGenerator<SkillStreamEvent> {
  const pending: SkillStreamEvent[] = [];
  let failure: Error | null = null;
  const parser = createParser({
    onEvent(message) {
      if (failure) return;
      try {
        const event = parseEvent(message);
        if (event) pending.push(event);
      } catch (error) {
        failure = error as Error;
      }
    },
  });
  const decoder = new TextDecoder();
  let received = 0;
  for await (const chunk of body) {
    received += chunk.byteLength;
    if (received > maxBytes) throw new SkillStreamError(`its stream passed ${maxBytes} bytes`);
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (failure) throw failure;
    while (pending.length > 0) {
      const event = pending.shift() as SkillStreamEvent;
      yield event;
      if (event.type !== 'progress') return;
    }
  }
  // An event without its closing blank line at the end is incomplete and dropped (as EventSource does).
  parser.feed(decoder.decode());
  if (failure) throw failure;
  for (const event of pending) {
    yield event;
    if (event.type !== 'progress') return;
  }
}
