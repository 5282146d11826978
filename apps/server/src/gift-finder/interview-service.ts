import type { Environment } from '@switchyard/core';
import { createGiftInterviewRepository, type GiftInterviewMessageRow } from '@switchyard/db';
import type { ChatMessage } from '@switchyard/providers';
import type { GiftEvent, Summary, Usage } from './gift-events';
import { type AnswerCheck, type GiftModel, read } from './gift-model';
import {
  type GiftServiceContext,
  guarded,
  inService,
  publishFor,
  publishStage,
  subscribeForEvent,
} from './gift-service-context';

export const interviewGroup = 'gift-interview';

type Step =
  | { action: 'ask'; question: string }
  | { action: 'complete'; summary: Summary }
  | { action: 'refuse'; message: string };

const systemPrompt = (maxQuestions: number, currency: string) =>
  [
    'You help a user find a present for someone. Interview the user about the recipient, one short question at a',
    `time (at most ${maxQuestions} questions in all), to learn: their relation to the user, age, interests, the`,
    `occasion, the budget (in ${currency} unless the user names another currency) and dislikes.`,
    'If the user asks for something inappropriate (illegal, dangerous, sexual, hateful, or tracking a person who',
    'has not agreed to it), refuse.',
    'Answer with one JSON object only, one of:',
    '{"action":"ask","question":"..."}',
    '{"action":"complete","summary":{"relation":string|null,"age":string|null,"interests":[string],"occasion":string|null,',
    '"budget":{"min":number,"max":number,"currency":"EUR"}|null,"dislikes":[string],"notes":string}}',
    '{"action":"refuse","message":"why you cannot help with this"}',
  ].join('\n');

export function checkSummary(value: unknown, currency: string): AnswerCheck<Summary> {
  if (value === null || typeof value !== 'object') return { ok: false, problem: 'summary must be an object' };
  const summary = value as Record<string, unknown>;
  const budgetValue = summary.budget as Record<string, unknown> | null | undefined;
  let budget: Summary['budget'] = null;
  if (budgetValue && typeof budgetValue === 'object') {
    const min = read.money(budgetValue.min) ?? 0;
    const max = read.money(budgetValue.max);
    const budgetCurrency = typeof budgetValue.currency === 'string' ? budgetValue.currency.toUpperCase() : currency;
    if (max !== null && max >= min) {
      budget = { min, max, currency: /^[A-Z]{3}$/.test(budgetCurrency) ? budgetCurrency : currency };
    }
  }
  const age = typeof summary.age === 'number' ? String(summary.age) : read.text(summary.age, 100);
  return {
    ok: true,
    value: {
      relation: read.text(summary.relation, 200),
      age,
      interests: read.list(summary.interests, 50),
      occasion: read.text(summary.occasion, 200),
      budget,
      dislikes: read.list(summary.dislikes, 50),
      notes: read.text(summary.notes, 4_000) ?? '',
    },
  };
}

function checkStep(value: unknown, currency: string, mustComplete: boolean): AnswerCheck<Step> {
  const step = value as Record<string, unknown>;
  if (step.action === 'refuse') {
    return {
      ok: true,
      value: { action: 'refuse', message: read.text(step.message, 2_000) ?? 'I cannot help with that.' },
    };
  }
  if (step.action === 'ask' && !mustComplete) {
    const question = read.text(step.question, 2_000);
    return question
      ? { ok: true, value: { action: 'ask', question } }
      : { ok: false, problem: '"question" is missing' };
  }
  if (step.action === 'complete') {
    const summary = checkSummary(step.summary, currency);
    return summary.ok ? { ok: true, value: { action: 'complete', summary: summary.value } } : summary;
  }
  return {
    ok: false,
    problem: mustComplete
      ? 'the interview is over: "action" must be "complete" (or "refuse")'
      : '"action" must be "ask", "complete" or "refuse"',
  };
}

/**
 * The interview (the seed's chat service): on ChatStartInterview it asks the first question, on each
 * ChatUserAnswered the next one, until the model sums up (ChatInterviewCompleted, then
 * GiftGenerateRequested) or refuses (ChatInappropriateRequest). Questions are stored per turn: a
 * redelivered answer republishes the stored question instead of asking the model again.
 */
export function createInterviewService(service: GiftServiceContext, model: GiftModel, maxQuestions: number) {
  return {
    subscribe: (): Promise<void> =>
      subscribeForEvent(service, interviewGroup, ['ChatStartInterview', 'ChatUserAnswered'], (context) => {
        const now = context.now;

        async function nextStep(environment: Environment, sessionId: string, turn: number): Promise<void> {
          const { interview, messages, existing } = await inService(context, environment, 'interview', async (db) => {
            const repository = createGiftInterviewRepository(db);
            return {
              interview: await repository.find(sessionId),
              messages: await repository.messages(sessionId),
              existing: await repository.findMessage(sessionId, 'assistant', turn),
            };
          });
          if (interview?.status !== 'asking') return;
          if (existing) {
            await publishQuestion(environment, sessionId, existing, { promptTokens: 0, completionTokens: 0, cost: 0 });
            return;
          }
          const mustComplete = turn > maxQuestions;
          const conversation: ChatMessage[] = [
            { role: 'system', content: systemPrompt(maxQuestions, interview.currency) },
            {
              role: 'user',
              content: `I am looking for a present${interview.recipient ? ` for ${interview.recipient}` : ''}.${
                interview.locale ? ` Ask in the language of locale ${interview.locale}.` : ''
              }`,
            },
            ...messages.map(
              (message): ChatMessage => ({
                role: message.role === 'assistant' ? 'assistant' : 'user',
                content: message.text,
              }),
            ),
          ];
          if (mustComplete) {
            conversation.push({
              role: 'user',
              content: 'That is all the questions: sum up now ("action":"complete").',
            });
          }
          const { value: step, usage } = await model.json('interview', conversation, (value) =>
            checkStep(value, interview.currency, mustComplete),
          );
          const createdAt = now();
          if (step.action === 'ask') {
            const stored = await inService(context, environment, 'interview', (db) =>
              createGiftInterviewRepository(db).addMessage({
                id: `${sessionId}-q${turn}`,
                sessionId,
                role: 'assistant',
                turn,
                text: step.question,
                createdAt,
              }),
            );
            await publishQuestion(environment, sessionId, stored, usage);
            return;
          }
          if (step.action === 'refuse') {
            const message = {
              id: `${sessionId}-refusal`,
              turn,
              text: step.message,
              createdAt: createdAt.toISOString(),
            };
            await publishFor(
              context,
              environment,
              sessionId,
              'ChatInappropriateRequest',
              { sessionId, message, usage },
              'refused',
            );
            await publishStage(context, environment, sessionId, 'interview', 'failed', {
              message: 'The request was refused',
            });
            await publishFor(
              context,
              environment,
              sessionId,
              'FlowCompleted',
              { outcome: 'cancelled', message: 'refused' },
              'done',
            );
            await inService(context, environment, 'interview', (db) =>
              createGiftInterviewRepository(db).setStatus(sessionId, 'refused', createdAt),
            );
            return;
          }
          await publishFor(
            context,
            environment,
            sessionId,
            'ChatInterviewCompleted',
            { sessionId, summary: step.summary, usage },
            'interview-summary',
          );
          await publishStage(context, environment, sessionId, 'interview', 'completed');
          await publishFor(
            context,
            environment,
            sessionId,
            'GiftGenerateRequested',
            {
              sessionId,
              summary: step.summary,
              currency: interview.currency,
              locale: interview.locale,
              profileRequested: interview.profileRequested,
            },
            'generate',
          );
          await inService(context, environment, 'interview', (db) =>
            createGiftInterviewRepository(db).setStatus(sessionId, 'completed', createdAt),
          );
        }

        function publishQuestion(
          environment: Environment,
          sessionId: string,
          stored: GiftInterviewMessageRow,
          usage: Usage,
        ) {
          return publishFor(
            context,
            environment,
            sessionId,
            'ChatQuestionAsked',
            {
              sessionId,
              message: {
                id: stored.id,
                turn: stored.turn,
                text: stored.text,
                createdAt: stored.createdAt.toISOString(),
              },
              usage,
            },
            `q${stored.turn}`,
          );
        }

        return async (event, delivery) => {
          const { sessionId } = event.payload;
          await guarded(context, event, delivery, 'interview', async () => {
            if (event.name === 'ChatStartInterview') {
              const start = (event as GiftEvent<'ChatStartInterview'>).payload;
              const createdAt = now();
              await inService(context, event.environment, 'interview', (db) =>
                createGiftInterviewRepository(db).start({
                  sessionId,
                  recipient: start.recipient,
                  currency: start.currency,
                  locale: start.locale,
                  profileRequested: start.profileRequested,
                  status: 'asking',
                  createdAt,
                  updatedAt: createdAt,
                }),
              );
              await publishStage(context, event.environment, sessionId, 'interview', 'started');
              await nextStep(event.environment, sessionId, 1);
              return;
            }
            const { message } = (event as GiftEvent<'ChatUserAnswered'>).payload;
            await inService(context, event.environment, 'interview', (db) =>
              createGiftInterviewRepository(db).addMessage({
                id: message.id,
                sessionId,
                role: 'user',
                turn: message.turn,
                text: message.text,
                createdAt: new Date(message.createdAt),
              }),
            );
            await nextStep(event.environment, sessionId, message.turn + 1);
          });
        };
      }),
  };
}
