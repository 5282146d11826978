import { expect } from 'vitest';
import { type Browser, createBrowser } from './browser';
import { readJson } from './read-json';

let userCounter = 0;

/** A fresh user signed in through the real better-auth routes, as a cookie-keeping browser. */
export async function signUpUser(baseUrl: string, name: string): Promise<{ browser: Browser; id: string }> {
  userCounter += 1;
  const browser = createBrowser(baseUrl);
  const response = await browser.post('/api/auth/sign-up/email', {
    name,
    email: `${name}.${userCounter}.${Date.now()}@example.com`,
    password: 'correct horse battery',
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return { browser, id: (await readJson(response)).user.id };
}

export interface ServerSentEvent {
  id: number | null;
  event: string;
  data: unknown;
}

/**
 * Reads an SSE response frame by frame. `stopWhen` lets a test hang up in the
 * middle (like a closed tab); otherwise it reads until the server ends the stream.
 */
export async function readEvents(
  response: Response,
  stopWhen: (events: readonly ServerSentEvent[]) => boolean = () => false,
): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      let id: number | null = null;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = Number(line.slice(4));
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      events.push({ id, event, data: JSON.parse(data.join('\n')) });
      if (stopWhen(events)) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}

/** The text of the delta events, in order. */
export const deltaText = (events: readonly ServerSentEvent[]) =>
  events
    .filter((event) => event.event === 'delta')
    .map((event) => (event.data as { content: string }).content)
    .join('');
