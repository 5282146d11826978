import { randomUUID } from 'node:crypto';
import { type SecretScrubber, type SessionLog, SwitchyardError } from '@switchyard/core';
import {
  type AssistantRow,
  createAssistantRepository,
  createConversationRepository,
  createFileRepository,
  type StoredChatParameters,
  type StoredToolStep,
  type UploadedFileRow,
} from '@switchyard/db';
import type { ChatMessage, ChatRequest, ContentPart, Usage } from '@switchyard/providers';
import type { ModelRoute, Router } from '@switchyard/routing';
import type { ObjectStore } from '@switchyard/storage';
import type { Logger } from 'pino';
import type { AppRegistry } from '../apps/app-registry';
import { type SkillSelection, selectSkills, withFocusPrompt } from '../apps/focus-modes';
import { runSkillLoop, type SkillEvent } from '../apps/skill-loop';
import { notFound, type Owner } from '../edge/owner';
import { type EdgePlans, planAllowsModel } from '../edge/plan-limits';
import { resolveModel } from '../gateway/chat-execution';
import type { ModelAccess } from '../gateway/model-list';
import { markdownImageAlt } from '../images/image-generation';
import type { Metrics } from '../infrastructure/metrics';
import type { BudgetTicket } from '../plans/budget-enforcer';
import { type PlanResolution, projectOfBudgetSubject } from '../plans/plan-store';
import { authorizeRow, creationProject } from '../projects/project-access';
import { renderTemplate } from '../templates/prompt-template';
import { requireTemplate } from '../templates/template-store';
import { recordMeteredUsage } from '../usage/metered-usage';
import type { UsageWriter } from '../usage/usage-writer';
import {
  addMessages,
  createConversation,
  listMessages,
  newMessageId,
  requireConversation,
  requireMessage,
  titleFrom,
  updateConversation,
} from './conversation-store';

/** Roughly 4 characters per token: good enough to keep attachments inside a model's window. */
const charactersPerToken = 4;
const defaultContextWindow = 8192;
const historyMessages = 40;
/** A skill's output as stored and shown with the answer; the model itself gets all of it. */
const shownOutputCharacters = 32_000;

/** Images a vision model is sent as image content parts; other models get their OCR text. */
const visionMimeTypes = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

export interface StartInput {
  chatId?: string;
  /** A new chat goes to this project (ignored with chatId: the chat's own project applies). */
  projectId?: string;
  model?: string;
  /** Compare: each answers the same question; the answers are siblings. */
  models?: string[];
  message?: string;
  /** The message the question follows (undefined: the end of the branch shown; null: a first message). */
  parentId?: string | null;
  /** Regenerate: a new answer to this question of the chat. */
  answerTo?: string;
  systemPrompt?: string | null;
  parameters?: StoredChatParameters;
  assistantId?: string | null;
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
  /** Where uploads are kept: image attachments are read back for vision models. */
  readonly storage: Pick<ObjectStore, 'getBuffer'>;
  /**
   * Plans: each answer is metered like a /v1 request (the plan's model and app lists, the budget
   * reservation, the cost on the usage row). Without them answers cost nothing and nothing is refused.
   */
  readonly plans?: EdgePlans | null;
}

/** An answer's plan and budget reservation, settled once when the answer ends. */
interface Metering {
  readonly resolution: PlanResolution;
  readonly ticket: BudgetTicket | null;
}

export interface StartedChat {
  sessionId: string;
  chatId: string;
  messageId: string;
  userMessageId: string;
  sessions: Array<{ sessionId: string; messageId: string; model: string }>;
}

export interface ChatSessions {
  readonly log: SessionLog;
  start(owner: Owner, input: StartInput): Promise<StartedChat>;
  /** Stops a generation running in any process; the partial answer is stored. */
  stop(owner: Owner, sessionId: string): Promise<void>;
  close(): Promise<void>;
}

/** The files, in the order given, each ready (their text extracted): the owner's own, or shared in a project they can read. */
async function readyFiles(owner: Owner, fileIds: readonly string[]): Promise<UploadedFileRow[]> {
  if (fileIds.length === 0) return [];
  const repository = createFileRepository(owner.db);
  const files: UploadedFileRow[] = [];
  for (const id of fileIds) {
    const file = await repository.findById(id);
    try {
      await authorizeRow(owner, file, 'read', 'file');
    } catch {
      throw notFound(`file ${id}`);
    }
    if (!file) throw notFound(`file ${id}`);
    if (file.status !== 'ready') {
      throw new SwitchyardError('SY_ERR_CONFLICT', `The file ${id} is ${file.status}; attach it once it is ready`);
    }
    files.push(file);
  }
  return files;
}

/** Extracted text of the files, cut to the characters left in the window. */
function fileContext(files: readonly UploadedFileRow[], budget: number): string {
  if (files.length === 0) return '';
  const context = files.map((file) => `[Attached file: ${file.name}]\n${file.extractedText ?? ''}`).join('\n\n');
  return context.length <= budget ? context : `${context.slice(0, Math.max(0, budget - 20))}\n[…truncated]`;
}

function requestParameters(parameters: StoredChatParameters): Partial<ChatRequest> {
  return {
    ...(parameters.temperature !== undefined ? { temperature: parameters.temperature } : {}),
    ...(parameters.topP !== undefined ? { top_p: parameters.topP } : {}),
    ...(parameters.maxTokens !== undefined ? { max_tokens: parameters.maxTokens } : {}),
  };
}

const generatedImagePath = /\/v1\/image\/(img_[a-z0-9]+)\/content/;

/**
 * Images the `images.generate` skill made while answering are shown in the answer even when the model
 * did not repeat their address: each one missing from the text is added at the end, inline, by its
 * same-origin path (the page's Content-Security-Policy allows only this origin's images).
 */
export function withGeneratedImages(content: string, steps: readonly StoredToolStep[]): string {
  const missing: string[] = [];
  for (const step of steps) {
    if (step.app !== 'images' || step.skill !== 'generate' || step.isError || !step.output) continue;
    const id = generatedImagePath.exec(step.output)?.[1];
    if (!id || content.includes(`/v1/image/${id}/content`)) continue;
    const prompt = (step.input as { prompt?: unknown } | null)?.prompt;
    missing.push(`![${markdownImageAlt(typeof prompt === 'string' ? prompt : '')}](/v1/image/${id}/content)`);
  }
  return missing.length === 0 ? content : [content, ...missing].filter(Boolean).join('\n\n');
}

async function requireAssistant(owner: Owner, id: string): Promise<AssistantRow> {
  const row = await createAssistantRepository(owner.db).findForUser(id, owner.userId);
  if (!row) throw notFound('assistant');
  return row;
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
    chatId: string,
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
        audience: selection.audience,
        caller: { kind: 'user', subject: `user:${owner.userId}`, userId: owner.userId, conversationId: chatId },
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
    questionId: string,
    modelId: string,
    request: ChatRequest,
    selection: SkillSelection | null,
    controller: AbortController,
    metering: Metering | null,
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
        const answer = await answerWithSkills(
          owner,
          sessionId,
          route,
          request,
          selection,
          toolSteps,
          controller,
          chatId,
        );
        firstTokenMs = Date.now() - started;
        content = withGeneratedImages(answer.content, toolSteps);
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
    await recordMeteredUsage(
      { usage: dependencies.usage, plans },
      {
        environment: 'prod',
        apiKeyId: null,
        userId: owner.userId,
        projectId: projectOfBudgetSubject(metering?.resolution.budgetSubject),
        clientIp: null,
        method: 'POST',
        route: '/api/chat/start',
        status: failure ? failure.status : 200,
        latencyMs: Date.now() - started,
        used: {
          model: modelId,
          promptTokens: usage?.prompt_tokens ?? null,
          completionTokens: usage?.completion_tokens ?? null,
        },
        ticket: metering?.ticket ?? null,
      },
    );
    const status = failure || stopped ? 'partial' : 'complete';
    await addMessages(
      owner,
      chatId,
      [
        {
          id: messageId,
          parentId: questionId,
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
      ],
      // The answer is shown unless the user moved to another branch meanwhile (or another model of a comparison answered first).
      { activate: 'whenFollowing' },
    ).then(async ([stored]) => {
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

  const plans = dependencies.plans ?? null;

  /** The owner's plan within the chat's project (else their own); refuses models, apps or a used-up budget. */
  async function admit(
    owner: Owner,
    projectId: string | null,
    routes: readonly ModelRoute[],
    apps: readonly string[] | undefined,
  ): Promise<Array<Metering | null>> {
    if (!plans) return routes.map(() => null);
    const fresh = plans.store.ensureFresh();
    if (fresh) await fresh;
    const resolution = plans.store.resolve({
      kind: 'user',
      keyId: null,
      userId: owner.userId,
      projectId,
      subject: `user:${owner.userId}`,
    });
    const { plan } = resolution;
    const refusedModel = plan.models
      ? routes.find((route) => !planAllowsModel(plans, plan.models as ReadonlySet<string>, route.id))
      : undefined;
    if (refusedModel) {
      throw new SwitchyardError(
        'SY_ERR_MODEL_NOT_ALLOWED',
        `The model '${refusedModel.id}' is not included in plan '${plan.id}'`,
        {
          details: { param: 'model' },
        },
      );
    }
    const refusedApp = plan.apps ? apps?.find((id) => !plan.apps?.has(id)) : undefined;
    if (refusedApp !== undefined) {
      throw new SwitchyardError('SY_ERR_FORBIDDEN', `The app '${refusedApp}' is not included in plan '${plan.id}'`, {
        details: { param: 'apps' },
      });
    }
    const meterings: Metering[] = [];
    try {
      for (const _route of routes) {
        const ticket = await plans.budgets.admit({
          plan,
          budgetSubject: resolution.budgetSubject,
          environment: 'prod',
          userId: owner.userId,
        });
        meterings.push({ resolution, ticket });
      }
    } catch (error) {
      // A comparison whose second answer does not fit: the first one's reservation is given back.
      for (const metering of meterings) {
        if (metering.ticket) await plans.budgets.settle(metering.ticket, { tokens: 0, costUsd: 0 });
      }
      throw error;
    }
    return meterings;
  }

  return {
    log,
    async start(owner, input) {
      // Everything that can be refused is checked before a chat is created, so a refusal leaves nothing behind.
      if (input.answerTo !== undefined && input.message !== undefined) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'Give either message or answerTo, not both');
      }
      if (input.answerTo === undefined && input.message === undefined) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'message is required (or answerTo, to answer a question again)');
      }
      if ((input.answerTo !== undefined || typeof input.parentId === 'string') && !input.chatId) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'answerTo and parentId need the chatId they belong to');
      }
      if (input.model !== undefined && input.models !== undefined) {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'Give either model or models, not both');
      }
      // Adding a turn changes the chat: someone else's chat in a project needs an admin's role.
      const existing = input.chatId ? await requireConversation(owner, input.chatId, 'edit') : null;
      const question = input.answerTo && existing ? await requireMessage(owner, existing.id, input.answerTo) : null;
      if (question && question.role !== 'user') {
        throw new SwitchyardError('SY_ERR_VALIDATION', 'answerTo must be one of your questions in the chat');
      }
      const parent =
        typeof input.parentId === 'string' && existing
          ? await requireMessage(owner, existing.id, input.parentId)
          : null;
      const assistantId = input.assistantId !== undefined ? input.assistantId : (existing?.assistantId ?? null);
      const assistant = assistantId ? await requireAssistant(owner, assistantId) : null;
      const systemPrompt = input.systemPrompt !== undefined ? input.systemPrompt : (existing?.systemPrompt ?? null);
      const parameters = { ...assistant?.parameters, ...(input.parameters ?? existing?.parameters ?? {}) };
      // Signed-in users chat in prod (like their sessions); a focus mode may prefer a model.
      const apps = input.apps ?? (assistant && assistant.apps.length > 0 ? assistant.apps : undefined);
      // A project chat offers the project's apps too (a new one's project is checked like its creation).
      const chatProjectId = existing ? existing.projectId : await creationProject(owner, input.projectId);
      const selection =
        apps || input.focus
          ? await selectSkills(
              dependencies.apps,
              'prod',
              { apps, focus: input.focus },
              { role: null, projectId: chatProjectId },
            )
          : null;
      const modelIds = input.models ?? [
        input.model ?? selection?.model ?? existing?.model ?? assistant?.model ?? dependencies.models.defaultModelId,
      ];
      const routes = modelIds.map((id) => resolveModel(dependencies, id, 'prod'));
      const firstRoute = routes[0];
      if (!firstRoute) throw new SwitchyardError('SY_ERR_VALIDATION', 'No model to answer with');
      const text = question
        ? question.content
        : input.templateId
          ? renderTemplate((await requireTemplate(owner, input.templateId)).body, {
              ...input.variables,
              message: input.message ?? '',
            })
          : (input.message ?? '');
      const attachmentIds = question ? question.attachments : (input.attachments ?? []);
      const files = await readyFiles(owner, attachmentIds);
      const knowledge = await readyFiles(owner, assistant?.files ?? []);
      // The last refusal before anything is stored: the plan's lists and budget (one reservation per answer).
      const meterings = await admit(owner, chatProjectId, routes, apps);
      let handedOver = 0;
      try {
        const smallestWindow = Math.min(...routes.map((route) => route.contextWindow ?? defaultContextWindow));
        const windowCharacters = smallestWindow * charactersPerToken;
        const halfWindow = Math.floor(windowCharacters / 2);
        const context = fileContext(files, Math.max(0, halfWindow - text.length));
        const knowledgeContext = fileContext(knowledge, Math.max(0, Math.floor(halfWindow / 2)));
        const system = [assistant?.instructions, knowledgeContext, systemPrompt]
          .filter((part): part is string => Boolean(part?.trim()))
          .join('\n\n');
        const images = await Promise.all(
          files
            .filter((file) => visionMimeTypes.has(file.mimeType))
            .map(async (file) => ({
              file,
              url: `data:${file.mimeType};base64,${(await dependencies.storage.getBuffer(file.objectKey)).body.toString('base64')}`,
            })),
        );

        const chat =
          existing ??
          (await createConversation(owner, {
            title: titleFrom(text),
            model: firstRoute.id,
            systemPrompt,
            parameters,
            ...(assistantId ? { assistantId } : {}),
            ...(input.projectId ? { projectId: input.projectId } : {}),
          }));
        if (existing) {
          const changes = {
            ...(input.systemPrompt !== undefined ? { systemPrompt: input.systemPrompt } : {}),
            ...(input.parameters !== undefined ? { parameters: input.parameters } : {}),
            ...(input.assistantId !== undefined ? { assistantId: input.assistantId } : {}),
          };
          if (Object.keys(changes).length > 0) await updateConversation(owner, chat.id, changes);
        }
        // The history is the branch the question follows: its parent and the parent's ancestors (undefined:
        // the end of the branch shown).
        const historyLeaf = question ? question.parentId : input.parentId === null || !existing ? null : parent?.id;
        const history =
          historyLeaf === null ? [] : await listMessages(owner.db, chat.id, { limit: 10_000, offset: 0 }, historyLeaf);
        let userMessageId: string;
        if (question) {
          userMessageId = question.id;
          // The new answer shows as it streams: the branch ends at the question until an answer is stored.
          await createConversationRepository(owner.db).setActiveLeaf(chat.id, question.id);
        } else {
          const [stored] = await addMessages(owner, chat.id, [
            {
              role: 'user',
              content: text,
              model: firstRoute.id,
              attachments: attachmentIds,
              parentId: history.at(-1)?.id ?? null,
            },
          ]);
          if (!stored) throw new SwitchyardError('SY_ERR_INTERNAL', 'The question was not stored');
          userMessageId = stored.id;
        }
        // History is cut from the oldest end so the newest turns and the attachments fit the window.
        let remaining = windowCharacters - text.length - context.length - system.length;
        const earlier: ChatMessage[] = [];
        for (const message of history.slice(-historyMessages).reverse()) {
          if (message.status === 'failed') continue;
          if (message.content.length > remaining) break;
          remaining -= message.content.length;
          earlier.unshift({ role: message.role as ChatMessage['role'], content: message.content });
        }
        const withContext = (prefix: string) => (prefix ? `${prefix}\n\n${text}` : text);
        const documentContext = fileContext(
          files.filter((file) => !visionMimeTypes.has(file.mimeType)),
          Math.max(0, halfWindow - text.length),
        );
        const sessions: StartedChat['sessions'] = [];
        for (const [index, route] of routes.entries()) {
          // A vision model sees the images themselves; the others get their OCR text (in the context).
          const content: string | ContentPart[] =
            route.vision && images.length > 0
              ? [
                  { type: 'text', text: withContext(documentContext) },
                  ...images.map(({ url }): ContentPart => ({ type: 'image_url', image_url: { url } })),
                ]
              : withContext(context);
          const plain: ChatRequest = {
            model: route.id,
            ...requestParameters(parameters),
            messages: [
              ...(system ? [{ role: 'system' as const, content: system }] : []),
              ...earlier,
              { role: 'user', content },
            ],
          };
          const request = selection ? withFocusPrompt(plain, selection) : plain;
          const sessionId = `cs_${randomUUID().replaceAll('-', '')}`;
          const messageId = newMessageId();
          await log.create(sessionId, { userId: owner.userId, chatId: chat.id });
          const controller = new AbortController();
          // Not awaited: the answer is generated whether or not a client is listening.
          const done = generate(
            owner,
            sessionId,
            chat.id,
            messageId,
            userMessageId,
            route.id,
            request,
            selection,
            controller,
            meterings[index] ?? null,
          )
            .catch((error: unknown) => dependencies.logger.error({ err: error, sessionId }, 'chat session failed'))
            .finally(() => running.delete(sessionId));
          handedOver = index + 1;
          running.set(sessionId, { controller, done });
          sessions.push({ sessionId, messageId, model: route.id });
        }
        const [first] = sessions as [StartedChat['sessions'][number]];
        return { sessionId: first.sessionId, chatId: chat.id, messageId: first.messageId, userMessageId, sessions };
      } catch (error) {
        // Answers that never started give their reservations back.
        for (const metering of meterings.slice(handedOver)) {
          if (metering?.ticket) await plans?.budgets.settle(metering.ticket, { tokens: 0, costUsd: 0 });
        }
        throw error;
      }
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
