import { randomUUID } from 'node:crypto';
import { type SecretScrubber, type SessionLog, SwitchyardError } from '@switchyard/core';
import { createFileRepository, type StoredToolStep } from '@switchyard/db';
import type { ChatMessage, ChatRequest, Usage } from '@switchyard/providers';
import type { ModelRoute, Router } from '@switchyard/routing';
import type { Logger } from 'pino';
import type { AppRegistry } from '../apps/app-registry';
import { type SkillSelection, selectSkills, withFocusPrompt } from '../apps/focus-modes';
import { runSkillLoop, type SkillEvent } from '../apps/skill-loop';
import { notFound, type Owner } from '../edge/owner';
import { resolveModel } from '../gateway/chat-execution';
import type { ModelAccess } from '../gateway/model-list';
import type { Metrics } from '../infrastructure/metrics';
import { renderTemplate } from '../templates/prompt-template';
import { requireTemplate } from '../templates/template-store';
import type { UsageWriter } from '../usage/usage-writer';
import {
  addMessages,
  createConversation,
  listMessages,
  newMessageId,
  requireConversation,
  titleFrom,
} from './conversation-store';

/** Roughly 4 characters per token: good enough to keep attachments inside a model's window. */
const charactersPerToken = 4;
const defaultContextWindow = 8192;
const historyMessages = 40;
/** A skill's output as stored and shown with the answer; the model itself gets all of it. */
const shownOutputCharacters = 32_000;

export interface StartInput {
  chatId?: string;
  model?: string;
  message: string;
  templateId?: string;
  variables?: Record<string, string>;
  attachments?: string[];
  /** Apps whose skills the model may call, and a focus mode: as on POST /v1/chat. */
  apps?: string[];
  focus?: string;
}

export interface ChatSessionDependencies extends ModelAccess {
  readonly models: ModelAccess['models'] & { readonly defaultModelId: string };
  /** stream for plain answers; complete for each model turn of an answer that calls skills. */
  readonly router: Pick<Router, 'stream' | 'complete'>;
  readonly apps: AppRegistry;
  readonly usage: Pick<UsageWriter, 'record'>;
  /** switchyard_tokens_total counts the web chat's tokens as it counts the API's. */
  readonly metrics?: Pick<Metrics, 'tokens'>;
  readonly logger: Pick<Logger, 'error'>;
  /** Scrubs configured secrets from the stored and streamed error of a failed answer. */
  readonly secrets: SecretScrubber;
  /** Where answers are written as they stream; with several processes it must be shared (Redis). */
  readonly log: SessionLog;
  /** Whether other processes write to the log too, so a stop from elsewhere must be polled for. */
  readonly sharedLog: boolean;
}

export interface ChatSessions {
  readonly log: SessionLog;
  start(owner: Owner, input: StartInput): Promise<{ sessionId: string; chatId: string; messageId: string }>;
  /** Stops a generation running in any process; the partial answer is stored. */
  stop(owner: Owner, sessionId: string): Promise<void>;
  close(): Promise<void>;
}

/** Extracted text of the owner's ready files, cut to the characters left in the window. */
async function attachmentContext(owner: Owner, fileIds: readonly string[], budget: number): Promise<string> {
  if (fileIds.length === 0) return '';
  const rows = await createFileRepository(owner.db).findManyForUser(fileIds, owner.userId);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const sections: string[] = [];
  for (const id of fileIds) {
    const file = byId.get(id);
    if (!file) throw notFound(`file ${id}`);
    if (file.status !== 'ready') {
      throw new SwitchyardError('SY_ERR_CONFLICT', `The file ${id} is ${file.status}; attach it once it is ready`);
    }
    sections.push(`[Attached file: ${file.name}]\n${file.extractedText ?? ''}`);
  }
  const context = sections.join('\n\n');
  return context.length <= budget ? context : `${context.slice(0, Math.max(0, budget - 20))}\n[…truncated]`;
}

export function createChatSessions(dependencies: ChatSessionDependencies): ChatSessions {
  const { log } = dependencies;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();

  /**
   * An answer whose model may call skills: each model turn is routed whole (like /v1/chat with
   * apps), each skill call and result goes to the stream as it happens and into `steps`, and the
   * final text comes back. A stop aborts the turn or the skill in flight.
   */
  async function answerWithSkills(
    owner: Owner,
    sessionId: string,
    route: ModelRoute,
    request: ChatRequest,
    selection: SkillSelection,
    steps: StoredToolStep[],
    controller: AbortController,
  ): Promise<{ content: string; usage: Usage | undefined; finishReason: string | null }> {
    // Events are appended in the order they happen; the answer's text waits for them.
    let written = Promise.resolve();
    const onEvent = (event: SkillEvent) => {
      let data: SkillEvent = event;
      if (event.type === 'tool_call') {
        const { id, app, skill, input } = event;
        steps.push({ id, app, skill, input, output: null, isError: false, durationMs: null });
      } else if (event.type === 'tool_result') {
        const output =
          event.output.length > shownOutputCharacters
            ? `${event.output.slice(0, shownOutputCharacters)}\n[…cut for display]`
            : event.output;
        data = { ...event, output };
        const step = steps.find((candidate) => candidate.id === event.id && candidate.output === null);
        if (step) Object.assign(step, { output, isError: event.is_error, durationMs: event.duration_ms });
      }
      written = written.then(() => log.append(sessionId, event.type, data)).catch(() => {});
    };
    const completion = await runSkillLoop(
      dependencies.apps,
      request,
      selection,
      {
        environment: 'prod',
        caller: { kind: 'user', subject: `user:${owner.userId}`, userId: owner.userId },
        signal: controller.signal,
        maxSteps: dependencies.settings.current().getInteger('apps.max_steps'),
        onEvent,
      },
      async (turn) =>
        (await dependencies.router.complete(route, { ...turn, model: route.id }, controller.signal)).value,
    ).finally(() => written);
    const choice = completion.choices[0];
    return {
      content: typeof choice?.message.content === 'string' ? choice.message.content : '',
      usage: completion.usage,
      finishReason: choice?.finish_reason ?? null,
    };
  }

  async function generate(
    owner: Owner,
    sessionId: string,
    chatId: string,
    messageId: string,
    modelId: string,
    request: ChatRequest,
    selection: SkillSelection | null,
    controller: AbortController,
  ): Promise<void> {
    const started = Date.now();
    let content = '';
    const toolSteps: StoredToolStep[] = [];
    let usage: Usage | undefined;
    let firstTokenMs: number | null = null;
    let failure: SwitchyardError | null = null;
    let finishReason: string | null = null;
    // Another process's stop lands in the shared log; only Redis needs polling for it.
    const stopPoll = dependencies.sharedLog
      ? setInterval(() => {
          log
            .stopRequested(sessionId)
            .then((stop) => stop && controller.abort(new Error('stopped')))
            .catch(() => {});
        }, 200)
      : null;
    try {
      await log.append(sessionId, 'start', { sessionId, chatId, messageId, model: modelId });
      const route = resolveModel(dependencies, modelId, 'prod');
      if (selection) {
        const answer = await answerWithSkills(owner, sessionId, route, request, selection, toolSteps, controller);
        firstTokenMs = Date.now() - started;
        content = answer.content;
        usage = answer.usage;
        finishReason = answer.finishReason;
        if (content) await log.append(sessionId, 'delta', { content });
      } else {
        const routed = await dependencies.router.stream(route, { ...request, model: route.id }, controller.signal);
        const { first, rest, release } = routed.value;
        try {
          const observe = async (chunk: typeof first) => {
            if (!chunk) return;
            const choice = chunk.choices[0];
            const piece = choice?.delta.content;
            if (piece) {
              if (firstTokenMs === null) firstTokenMs = Date.now() - started;
              content += piece;
              await log.append(sessionId, 'delta', { content: piece });
            }
            if (choice?.finish_reason) finishReason = choice.finish_reason;
            if (chunk.usage) usage = chunk.usage;
          };
          await observe(first);
          while (!controller.signal.aborted) {
            const step = await rest.next();
            if (step.done) break;
            await observe(step.value);
          }
        } finally {
          release();
          await rest.return?.(undefined).catch(() => {});
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) {
        failure =
          error instanceof SwitchyardError
            ? error
            : new SwitchyardError('SY_ERR_UPSTREAM', 'The model failed while answering', { cause: error });
      }
    } finally {
      if (stopPoll) clearInterval(stopPoll);
    }
    const stopped = controller.signal.aborted;
    // One usage row per answer, like the gateway routes: the start request itself is not logged.
    if (usage?.prompt_tokens) {
      dependencies.metrics?.tokens.inc({ environment: 'prod', model: modelId, kind: 'prompt' }, usage.prompt_tokens);
    }
    if (usage?.completion_tokens) {
      dependencies.metrics?.tokens.inc(
        { environment: 'prod', model: modelId, kind: 'completion' },
        usage.completion_tokens,
      );
    }
    dependencies.usage.record({
      environment: 'prod',
      apiKeyId: null,
      clientIp: null,
      method: 'POST',
      route: '/api/chat/start',
      model: modelId,
      status: failure ? failure.status : 200,
      latencyMs: Date.now() - started,
      promptTokens: usage?.prompt_tokens ?? null,
      completionTokens: usage?.completion_tokens ?? null,
      createdAt: new Date(),
    });
    const status = failure || stopped ? 'partial' : 'complete';
    await addMessages(owner, chatId, [
      {
        id: messageId,
        role: 'assistant',
        content,
        model: modelId,
        status: failure && content.length === 0 ? 'failed' : status,
        error: failure ? dependencies.secrets.scrub(failure.message) : stopped ? 'stopped by the user' : null,
        promptTokens: usage?.prompt_tokens ?? null,
        completionTokens: usage?.completion_tokens ?? null,
        firstTokenMs,
        durationMs: Date.now() - started,
        toolSteps,
      },
    ]).then(async ([stored]) => {
      if (failure) {
        await log.append(sessionId, 'error', {
          error: { code: failure.code, message: dependencies.secrets.scrub(failure.message) },
        });
      }
      await log.append(sessionId, 'done', {
        messageId: stored?.id ?? messageId,
        status: stopped ? 'stopped' : failure ? 'failed' : 'complete',
        finish_reason: stopped ? 'stopped' : failure ? 'error' : finishReason,
        usage: usage ?? null,
      });
    });
  }

  return {
    log,
    async start(owner, input) {
      // Everything that can be refused is checked before a chat is created, so a refusal leaves nothing behind.
      const existing = input.chatId ? await requireConversation(owner, input.chatId) : null;
      // Signed-in users chat in prod (like their sessions); a focus mode may prefer a model.
      const selection =
        input.apps || input.focus
          ? await selectSkills(dependencies.apps, 'prod', { apps: input.apps, focus: input.focus })
          : null;
      const modelId = input.model ?? selection?.model ?? existing?.model ?? dependencies.models.defaultModelId;
      const route = resolveModel(dependencies, modelId, 'prod');
      const text = input.templateId
        ? renderTemplate((await requireTemplate(owner, input.templateId)).body, {
            ...input.variables,
            message: input.message,
          })
        : input.message;
      const windowCharacters = (route.contextWindow ?? defaultContextWindow) * charactersPerToken;
      const context = await attachmentContext(
        owner,
        input.attachments ?? [],
        Math.max(0, Math.floor(windowCharacters / 2) - text.length),
      );
      const chat = existing ?? (await createConversation(owner, { title: titleFrom(text), model: route.id }));
      const history = await listMessages(owner.db, chat.id, { limit: 10_000, offset: 0 });
      await addMessages(owner, chat.id, [
        { role: 'user', content: text, model: route.id, attachments: input.attachments ?? [] },
      ]);
      // History is cut from the oldest end so the newest turns and the attachments fit the window.
      let remaining = windowCharacters - text.length - context.length;
      const earlier: ChatMessage[] = [];
      for (const message of history.slice(-historyMessages).reverse()) {
        if (message.status === 'failed') continue;
        if (message.content.length > remaining) break;
        remaining -= message.content.length;
        earlier.unshift({ role: message.role as ChatMessage['role'], content: message.content });
      }
      const plain: ChatRequest = {
        model: route.id,
        messages: [...earlier, { role: 'user', content: context ? `${context}\n\n${text}` : text }],
      };
      const request = selection ? withFocusPrompt(plain, selection) : plain;
      const sessionId = `cs_${randomUUID().replaceAll('-', '')}`;
      const messageId = newMessageId();
      await log.create(sessionId, { userId: owner.userId, chatId: chat.id });
      const controller = new AbortController();
      // Not awaited: the answer is generated whether or not a client is listening.
      const done = generate(owner, sessionId, chat.id, messageId, route.id, request, selection, controller)
        .catch((error: unknown) => dependencies.logger.error({ err: error, sessionId }, 'chat session failed'))
        .finally(() => running.delete(sessionId));
      running.set(sessionId, { controller, done });
      return { sessionId, chatId: chat.id, messageId };
    },
    async stop(owner, sessionId) {
      const meta = await log.meta(sessionId);
      if (!meta || meta.userId !== owner.userId) throw notFound('chat session');
      running.get(sessionId)?.controller.abort(new Error('stopped'));
      await log.requestStop(sessionId);
    },
    async close() {
      for (const session of running.values()) session.controller.abort(new Error('shutting down'));
      await Promise.allSettled([...running.values()].map((session) => session.done));
      log.close();
    },
  };
}
