import type { ChatParameters } from '@switchyard/api-schemas';
import { ApiError, api, errorFromResponse } from './api';
import { t } from './i18n';
import { readSse } from './sse';

/** POST /api/chat/start: stores the user message (creating the chat without chatId) and starts the answer. */
export interface StartInput {
  chatId?: string;
  /** A new chat (no chatId) is shared in this project. */
  projectId?: string;
  model?: string;
  /** Compare: two or three models answer the same message (one session each). */
  models?: string[];
  /** Required unless answerTo is given. */
  message?: string;
  /** Edit: the edited question's parent, so the new question is a version beside the old one. */
  parentId?: string | null;
  /** Regenerate: a new answer to this question, beside the old ones. */
  answerTo?: string;
  systemPrompt?: string | null;
  parameters?: ChatParameters;
  assistantId?: string | null;
  templateId?: string;
  variables?: Record<string, string>;
  attachments?: string[];
  /** Apps whose skills the model may call (GET /api/apps), and a focus mode as `<app>/<mode>`. */
  apps?: string[];
  focus?: string;
}

/** A skill call the model made, as the stream announces it (before it runs). */
export interface ToolCallEvent {
  id: string;
  app: string;
  skill: string;
  input: unknown;
}

/** The skill's result, as the stream announces it once the skill has answered. */
export interface ToolResultEvent {
  id: string;
  app: string;
  skill: string;
  output: string;
  is_error: boolean;
  duration_ms: number;
}

export interface StartedSession {
  sessionId: string;
  chatId: string;
  /** The id the assistant's answer will be stored under. */
  messageId: string;
  /** The question the answer follows. */
  userMessageId: string;
  /** One per model (several when comparing). */
  sessions: Array<{ sessionId: string; messageId: string; model: string }>;
}

export function startChat(input: StartInput): Promise<StartedSession> {
  return api<StartedSession>('/api/chat/start', { method: 'POST', json: input });
}

/** POST /api/chat/stop: the server keeps the text so far (status partial) and ends the stream with `done`. */
export function stopChat(sessionId: string): Promise<{ stopped: boolean }> {
  return api<{ stopped: boolean }>('/api/chat/stop', { method: 'POST', json: { sessionId } });
}

export interface SessionHandlers {
  onStart?(info: { sessionId: string; chatId: string; messageId: string; model: string }): void;
  onDelta(text: string): void;
  /** A chat with apps: each skill call as it starts, and its result when it ends. */
  onToolCall?(call: ToolCallEvent): void;
  onToolResult?(result: ToolResultEvent): void;
  /** Called before each reconnect, with the attempt number (1, 2, …) and the last event id received. */
  onReconnect?(attempt: number, lastEventId: number): void;
  /** Called when a reconnect got the stream back (its events follow). */
  onResumed?(lastEventId: number): void;
}

export interface SessionResult {
  messageId: string | null;
  status: 'complete' | 'stopped' | 'failed';
  finishReason: string | null;
  usage: unknown;
  /** The `error` event's payload, when the model failed. */
  error: { code: string; message: string } | null;
}

export interface FollowOptions {
  signal?: AbortSignal;
  /** Injected in tests. */
  fetch?: typeof fetch;
  /** Consecutive failed connections before giving up (progress resets the count). */
  maxAttempts?: number;
  /** Delay before reconnect attempt n: base × 2^(n-1), capped at 5 s. */
  retryDelayMs?: number;
}

const abortError = () => new DOMException(t('chatPage.streamStopped'), 'AbortError');

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** 4xx answers (not found, forbidden, validation) will not change on retry; 408, 429 and 5xx may. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * GET /api/chat/stream?sessionId= until the `done` event. When the connection drops (a network
 * error, or the body ending before `done`), it reconnects with `Last-Event-ID: <last id seen>`:
 * the server replays exactly the events after it, and any event id already seen is skipped as
 * well, so no text is lost or repeated. Aborting the signal stops listening (the answer goes on
 * being generated on the server); use stopChat to stop the answer itself.
 */
export async function followSession(
  sessionId: string,
  handlers: SessionHandlers,
  options: FollowOptions = {},
): Promise<SessionResult> {
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelay = options.retryDelayMs ?? 500;
  const { signal } = options;
  let lastId = 0;
  let failures = 0;
  let error: SessionResult['error'] = null;
  while (true) {
    if (signal?.aborted) throw abortError();
    let progressed = false;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastId > 0) headers['last-event-id'] = String(lastId);
      const response = await fetcher(`/api/chat/stream?sessionId=${encodeURIComponent(sessionId)}`, {
        credentials: 'same-origin',
        headers,
        cache: 'no-store',
        ...(signal ? { signal } : {}),
      });
      if (!response.ok) {
        const failure = await errorFromResponse(response);
        if (!retryable(response.status)) throw failure;
        throw Object.assign(failure, { retry: true });
      }
      if (!response.body) throw new TypeError(t('chatPage.streamNoBody'));
      if (lastId > 0 || failures > 0) handlers.onResumed?.(lastId);
      for await (const event of readSse(response.body, { discardPartial: true })) {
        const id = event.id !== undefined && /^\d+$/.test(event.id) ? Number(event.id) : null;
        if (id !== null) {
          if (id <= lastId) continue; // already seen: a replay overlapping what arrived before the drop
          lastId = id;
        }
        progressed = true;
        const data = event.data ? (JSON.parse(event.data) as Record<string, unknown>) : {};
        if (event.event === 'start') handlers.onStart?.(data as Parameters<NonNullable<SessionHandlers['onStart']>>[0]);
        else if (event.event === 'delta' && typeof data.content === 'string') handlers.onDelta(data.content);
        else if (event.event === 'tool_call') handlers.onToolCall?.(data as unknown as ToolCallEvent);
        else if (event.event === 'tool_result') handlers.onToolResult?.(data as unknown as ToolResultEvent);
        else if (event.event === 'error') {
          const payload = data.error as { code?: string; message?: string } | undefined;
          error = { code: payload?.code ?? 'SY_ERR_UPSTREAM', message: payload?.message ?? t('chatPage.modelFailed') };
        } else if (event.event === 'done') {
          const status = data.status === 'stopped' || data.status === 'failed' ? data.status : 'complete';
          return {
            messageId: typeof data.messageId === 'string' ? data.messageId : null,
            status,
            finishReason: typeof data.finish_reason === 'string' ? data.finish_reason : null,
            usage: data.usage ?? null,
            error,
          };
        }
      }
      // The body ended without `done`: the connection was cut; resume below.
    } catch (caught) {
      if (signal?.aborted || (caught instanceof Error && caught.name === 'AbortError')) throw abortError();
      if (caught instanceof ApiError && !(caught as ApiError & { retry?: boolean }).retry) throw caught;
      if (caught instanceof SyntaxError) throw caught; // a malformed event is a bug, not a network blip
    }
    failures = progressed ? 1 : failures + 1;
    if (failures > maxAttempts) throw new Error(t('chatPage.keptDisconnecting'));
    handlers.onReconnect?.(failures, lastId);
    await sleep(Math.min(5_000, baseDelay * 2 ** (failures - 1)), signal);
  }
}
