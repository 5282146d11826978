import { request } from './api';
import type { ChatMessage } from './conversations';
import { readSse } from './sse';

export interface StreamHandlers {
  onDelta(text: string): void;
  onStart?(info: { id: string; model: string; environment: string }): void;
}

export interface StreamResult {
  finishReason: string | null;
  usage: unknown;
}

/** POST /v1/chat with stream: true; the session cookie authenticates. Throws ApiError / AbortError. */
export async function streamChat(
  model: string,
  history: readonly ChatMessage[],
  handlers: StreamHandlers,
  signal?: AbortSignal,
): Promise<StreamResult> {
  const response = await request('/v1/chat', {
    method: 'POST',
    body: JSON.stringify({
      model,
      stream: true,
      messages: history.map((message) => ({ role: message.role, content: message.content })),
    }),
    ...(signal ? { signal } : {}),
  });
  if (!response.body) throw new Error('The response has no body');
  let result: StreamResult = { finishReason: null, usage: null };
  for await (const event of readSse(response.body)) {
    const data = event.data ? (JSON.parse(event.data) as Record<string, unknown>) : {};
    if (event.event === 'start') handlers.onStart?.(data as { id: string; model: string; environment: string });
    else if (event.event === 'delta' && typeof data.content === 'string') handlers.onDelta(data.content);
    else if (event.event === 'done') {
      result = { finishReason: (data.finish_reason as string) ?? null, usage: data.usage ?? null };
    } else if (event.event === 'error') {
      const error = data.error as { code?: string; message?: string } | undefined;
      throw new Error(error?.message ?? 'The stream failed');
    }
  }
  return result;
}
