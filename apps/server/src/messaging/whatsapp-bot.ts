import { createHash } from 'node:crypto';
import { type Environment, isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createWhatsAppRepository, type WhatsAppContactRow } from '@switchyard/db';
import type { ChatMessage, ChatRequest } from '@switchyard/providers';
import { selectSkills, withFocusPrompt } from '../apps/focus-modes';
import { runSkillLoop } from '../apps/skill-loop';
import { addMessages, createConversation, findConversation, listMessages } from '../conversations/conversation-store';
import type { Owner } from '../edge/owner';
import type { UsageInfo } from '../edge/principal';
import { queueMessage } from './message-service';
import { downloadMedia } from './whatsapp-media';
import { meteredForSender } from './whatsapp-metering';
import { transcribeVoiceNote, voiceNoteRefusal } from './whatsapp-voice-note';
import type { WhatsAppWebhookJobDependencies } from './whatsapp-webhook-job';

/** WhatsApp's limit for one text message's body. */
export const whatsappTextLimit = 4096;

export interface InboundMessage {
  readonly environment: Environment;
  readonly wamid: string;
  /** `+<digits>` */
  readonly sender: string;
  readonly kind: string;
  /** The Cloud API's message object. */
  readonly message: Record<string, unknown>;
  readonly sentAt: Date;
  readonly profileName: string | null;
  /** When the sender last wrote, as their contact row said once this message was recorded. */
  readonly lastInboundAt?: Date | null;
}

export const helpText = [
  'I answer your messages with an AI model. Send text, a voice note or a picture.',
  '/reset starts a new conversation (I forget what we said).',
  '/help shows this.',
  'STOP: I will not write to you any more (START to undo).',
].join('\n');

/**
 * Splits an answer into WhatsApp-sized messages: at a paragraph break if one is in the second half of
 * the piece, else at a line break, else at a space, else hard; every piece is at most `limit` UTF-16 units.
 */
export function splitForWhatsApp(text: string, limit = whatsappTextLimit): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    const half = Math.floor(limit / 2);
    let cut = -1;
    for (const separator of ['\n\n', '\n', ' ']) {
      const at = window.lastIndexOf(separator);
      if (at >= half) {
        cut = at;
        break;
      }
    }
    if (cut < 0) {
      cut = limit;
      // Never split a surrogate pair (an emoji) in two.
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

/** The bot's answer ids come from the inbound message's id: a retried job finds them instead of sending twice. */
function replyId(wamid: string, index: number): string {
  return `wamsg_bot_${createHash('sha256').update(wamid).digest('hex').slice(0, 32)}_${index}`;
}

async function reply(
  dependencies: WhatsAppWebhookJobDependencies,
  inbound: InboundMessage,
  text: string,
): Promise<void> {
  const pieces = splitForWhatsApp(text);
  for (const [index, piece] of pieces.entries()) {
    await queueMessage(dependencies, {
      id: replyId(inbound.wamid, index),
      environment: inbound.environment,
      subject: 'bot',
      apiKeyId: null,
      source: 'bot',
      to: inbound.sender,
      content: { type: 'text', text: { body: piece } },
      // While the window it shows is open, queueing needs no statement to check it.
      ...(inbound.lastInboundAt ? { lastInboundAt: inbound.lastInboundAt } : {}),
    });
  }
}

interface Question {
  /** What is stored in the conversation. */
  readonly stored: string;
  /** What the model gets (text, or text and an image). */
  readonly content: ChatMessage['content'];
  readonly model: string | null;
}

async function questionOf(
  dependencies: WhatsAppWebhookJobDependencies,
  inbound: InboundMessage,
  signal: AbortSignal,
): Promise<Question | { refusal: string; outcome?: string }> {
  const bot = dependencies.config.whatsapp?.bot;
  const message = inbound.message;
  switch (inbound.kind) {
    case 'text': {
      const body = (message.text as { body?: unknown } | undefined)?.body;
      return typeof body === 'string' && body.trim() !== ''
        ? { stored: body, content: body, model: null }
        : { refusal: helpText };
    }
    case 'audio': {
      let text: string;
      try {
        text = await transcribeVoiceNote(dependencies, inbound, signal);
      } catch (error) {
        const refused = voiceNoteRefusal(error);
        if (refused) return refused;
        throw error;
      }
      if (text === '') return { refusal: 'Sorry, I could not make out anything in that voice note.' };
      await createWhatsAppRepository(dependencies.databases[inbound.environment].db).setInboundText(
        inbound.wamid,
        text,
      );
      return { stored: `🎤 ${text}`, content: text, model: null };
    }
    case 'image': {
      if (!bot?.visionModel) {
        return { refusal: 'Sorry, I cannot look at pictures here. Please describe it in words.' };
      }
      const image = message.image as { id?: unknown; caption?: unknown } | undefined;
      if (typeof image?.id !== 'string') return { refusal: helpText };
      const media = await downloadMedia(dependencies, inbound, image.id, signal);
      const caption = typeof image.caption === 'string' && image.caption.trim() !== '' ? image.caption : null;
      const prompt = caption ?? 'What is in this picture?';
      return {
        stored: `🖼️ ${caption ?? '(picture)'}`,
        content: [
          { type: 'text', text: prompt },
          {
            type: 'image_url',
            image_url: { url: `data:${media.mimeType.split(';')[0]};base64,${media.bytes.toString('base64')}` },
          },
        ] as ChatMessage['content'],
        model: bot.visionModel,
      };
    }
    default:
      return { refusal: `Sorry, I cannot handle ${inbound.kind} messages. ${helpText}` };
  }
}

/** What the sender is told instead of an answer when their plan does not let the bot answer. */
export const answerRefusals = {
  budget: 'Sorry, your budget for answers is used up for now. Please try again after it resets.',
  model: 'Sorry, I cannot answer here: the model I use is not included in your plan.',
} as const;

/**
 * The model's answer to the conversation so far plus the question, with the bot's prompt and focus mode,
 * metered like a chat request: the sender (`whatsapp:+<number>`, on the plan of anonymous callers) is
 * admitted by the plan's model list and budget before the model is asked, and one usage row carries the
 * tokens of every model call of the answer and their cost, settled against the reservation.
 */
async function ask(
  dependencies: WhatsAppWebhookJobDependencies,
  inbound: InboundMessage,
  history: ChatMessage[],
  question: Question,
  signal: AbortSignal,
): Promise<{ text: string; model: string }> {
  const bot = dependencies.config.whatsapp?.bot;
  const selection = bot?.focus
    ? await selectSkills(dependencies.apps, inbound.environment, { focus: bot.focus })
    : null;
  const modelId = question.model ?? selection?.model ?? bot?.model ?? dependencies.config.defaultModel ?? 'echo';
  const route = dependencies.models.resolve(modelId);
  if (!route) {
    throw new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', `The bot's model '${modelId}' does not exist`, {
      isRetryable: false,
    });
  }
  const messages: ChatMessage[] = [
    ...(bot?.systemPrompt ? [{ role: 'system' as const, content: bot.systemPrompt }] : []),
    ...history,
    { role: 'user', content: question.content },
  ];
  const used: UsageInfo & { model: string } = { model: route.id, promptTokens: null, completionTokens: null };
  return meteredForSender(dependencies, inbound, used, signal, 'an answer', async ({ subject }) => {
    let request: ChatRequest = { model: route.id, messages };
    // Every model call of the answer counts (a focus mode's skill loop makes several).
    const turn = async (next: ChatRequest) => {
      const completion = (await dependencies.router.complete(route, next, signal)).value;
      used.promptTokens = (used.promptTokens ?? 0) + (completion.usage?.prompt_tokens ?? 0);
      used.completionTokens = (used.completionTokens ?? 0) + (completion.usage?.completion_tokens ?? 0);
      return completion;
    };
    let completion: Awaited<ReturnType<typeof turn>>;
    if (selection) {
      request = withFocusPrompt(request, selection);
      completion = await runSkillLoop(
        dependencies.apps,
        request,
        selection,
        {
          environment: inbound.environment,
          caller: { kind: 'anonymous', subject, userId: null },
          signal,
          maxSteps: dependencies.settings.current().getInteger('apps.max_steps'),
        },
        turn,
      );
    } else {
      completion = await turn(request);
    }
    const content = completion.choices[0]?.message.content;
    return { text: typeof content === 'string' ? content : '', model: route.id };
  });
}

/** Tells the sender the bot could not answer (its model failed for good); a failure to say so is only logged. */
export async function apologise(dependencies: WhatsAppWebhookJobDependencies, inbound: InboundMessage): Promise<void> {
  const bot = dependencies.config.whatsapp?.bot;
  if (!bot?.enabled || !bot.environments.includes(inbound.environment)) return;
  await reply(dependencies, inbound, 'Sorry, I cannot answer right now. Please try again later.').catch(
    (error: unknown) =>
      dependencies.logger.warn(
        { code: isSwitchyardError(error) ? error.code : null },
        'whatsapp bot: the apology could not be queued',
      ),
  );
}

/**
 * The bot's side of one inbound message: STOP/START, /help, /reset, the per-sender limit, then the
 * configured model (with the focus mode's skills when one is set) answers in the sender's conversation,
 * stored like any chat. Returns what happened, kept on the inbound row.
 */
export async function answerInbound(
  dependencies: WhatsAppWebhookJobDependencies,
  inbound: InboundMessage,
  /** The sender's contact row, as recording this message left it. */
  contact: WhatsAppContactRow | undefined,
  signal: AbortSignal,
): Promise<string> {
  const bot = dependencies.config.whatsapp?.bot;
  if (!bot?.enabled || !bot.environments.includes(inbound.environment)) return 'bot-off';
  const repository = createWhatsAppRepository(dependencies.databases[inbound.environment].db);
  const typed =
    inbound.kind === 'text' ? String((inbound.message.text as { body?: unknown } | undefined)?.body ?? '').trim() : '';
  const command = typed.toLowerCase();
  if (command === 'stop' || command === 'unsubscribe') {
    await repository.setOptedOut(inbound.sender, true);
    await reply(
      dependencies,
      inbound,
      'You will not get any more messages from me. Send START if you change your mind.',
    );
    return 'opted-out';
  }
  if (command === 'start') {
    await repository.setOptedOut(inbound.sender, false);
    await reply(dependencies, inbound, `Welcome back!\n\n${helpText}`);
    return 'opted-in';
  }
  if (contact?.optedOut) return 'ignored-opted-out';

  const limit = dependencies.settings.current().getInteger('whatsapp.bot.per_sender_per_minute');
  const decision = await dependencies.limiter.hit(`whatsapp-bot:${inbound.environment}:${inbound.sender}`, limit);
  if (!decision.allowed) {
    // One notice per minute at most; every other message over the limit is dropped quietly.
    const notice = await dependencies.limiter.hit(`whatsapp-bot-notice:${inbound.environment}:${inbound.sender}`, 1);
    if (notice.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
      await reply(dependencies, inbound, `You are writing faster than I can answer. Please wait ${seconds} seconds.`);
    }
    return 'rate-limited';
  }
  if (command === '/help') {
    await reply(dependencies, inbound, helpText);
    return 'help';
  }
  const owner: Owner = { userId: `whatsapp:${inbound.sender}`, db: dependencies.databases[inbound.environment].db };
  if (command === '/reset') {
    await repository.setConversation(inbound.sender, null);
    await reply(dependencies, inbound, 'Done: we start a new conversation.');
    return 'reset';
  }

  const question = await questionOf(dependencies, inbound, signal);
  if ('refusal' in question) {
    await reply(dependencies, inbound, question.refusal);
    return question.outcome ?? 'refused';
  }
  const existing = contact?.conversationId ? await findConversation(owner, contact.conversationId) : undefined;
  const conversation =
    existing ??
    (await createConversation(owner, {
      title: `WhatsApp: ${inbound.profileName ?? inbound.sender}`,
      model: bot.model,
      tags: ['whatsapp'],
    }));
  if (!existing) await repository.setConversation(inbound.sender, conversation.id);
  // A conversation made just now has no history; an existing one's branch ends at the leaf just read with it.
  const earlier = existing
    ? await listMessages(owner.db, conversation.id, { limit: 1000, offset: 0 }, existing.activeLeafId)
    : [];
  const history: ChatMessage[] = earlier
    .filter((row) => row.role === 'user' || row.role === 'assistant')
    .slice(-bot.historyMessages)
    .map((row) => ({ role: row.role as 'user' | 'assistant', content: row.content }));
  let answer: Awaited<ReturnType<typeof ask>>;
  try {
    answer = await ask(dependencies, inbound, history, question, signal);
  } catch (error) {
    // The plan refuses: the sender is told why, and the job is not retried.
    if (isSwitchyardError(error) && error.code === 'SY_ERR_BUDGET_EXCEEDED') {
      await reply(dependencies, inbound, answerRefusals.budget);
      return 'budget-exceeded';
    }
    if (isSwitchyardError(error) && error.code === 'SY_ERR_MODEL_NOT_ALLOWED') {
      await reply(dependencies, inbound, answerRefusals.model);
      return 'model-not-allowed';
    }
    throw error;
  }
  const text = answer.text.trim() === '' ? 'Sorry, I have no answer to that.' : answer.text;
  await addMessages(owner, conversation.id, [
    { role: 'user', content: question.stored, createdAt: inbound.sentAt },
    { role: 'assistant', content: text, model: answer.model },
  ]);
  await reply(dependencies, inbound, text);
  return 'answered';
}
