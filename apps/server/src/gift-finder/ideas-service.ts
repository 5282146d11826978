import { createGiftIdeasRepository, type GiftIdeaRequestRow } from '@switchyard/db';
import type { GiftEvent, Idea, Summary } from './gift-events';
import { noUsage } from './gift-events';
import { type AnswerCheck, type GiftModel, read } from './gift-model';
import {
  type GiftServiceContext,
  guarded,
  inService,
  publishFor,
  publishStage,
  subscribeForEvent,
} from './gift-service-context';

export const ideasGroup = 'gift-ideas';

const systemPrompt = (count: number, currency: string) =>
  [
    `You suggest ${count} different present ideas for the person described, each with a short search query a`,
    `marketplace search box understands (a few words, no brand unless asked) and a price range in ${currency} within`,
    'the budget. Vary the ideas (not five versions of one thing). Avoid the dislikes.',
    'Answer with one JSON object only:',
    '{"ideas":[{"title":string,"reason":string,"query":string,"price_min":number|null,"price_max":number|null}]}',
  ].join('\n');

export function checkIdeas(value: unknown, sessionId: string, maxIdeas: number): AnswerCheck<Idea[]> {
  const list = (value as { ideas?: unknown }).ideas;
  if (!Array.isArray(list)) return { ok: false, problem: '"ideas" must be a list' };
  const ideas: Idea[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const entry = item as Record<string, unknown>;
    const query = read.text(entry.query, 300);
    const title = read.text(entry.title, 300) ?? query;
    if (!query || !title) continue;
    let priceMin = read.money(entry.price_min ?? entry.priceMin);
    let priceMax = read.money(entry.price_max ?? entry.priceMax);
    if (priceMin !== null && priceMax !== null && priceMin > priceMax) [priceMin, priceMax] = [priceMax, priceMin];
    ideas.push({
      id: `${sessionId}-i${ideas.length + 1}`,
      title,
      reason: read.text(entry.reason, 2_000) ?? '',
      query,
      priceMin,
      priceMax,
    });
    if (ideas.length === maxIdeas) break;
  }
  return ideas.length > 0 ? { ok: true, value: ideas } : { ok: false, problem: 'no idea has a "query"' };
}

const isComplete = (row: GiftIdeaRequestRow) =>
  row.summary !== null &&
  row.profileRequested !== null &&
  (row.profileRequested === false || row.profileInterests !== null);

/**
 * Gift ideas: joins the interview's GiftGenerateRequested with the profile's StalkingCompleted (when a
 * profile was asked for), then has the model turn both into ideas with search queries and price
 * ranges (GiftIdeasReady). The ideas are stored once; a redelivery republishes them.
 */
export function createIdeasService(service: GiftServiceContext, model: GiftModel, maxIdeas: number) {
  return {
    subscribe: (): Promise<void> =>
      subscribeForEvent(service, ideasGroup, ['GiftGenerateRequested', 'StalkingCompleted'], (context) => {
        async function generate(
          event: GiftEvent<'GiftGenerateRequested' | 'StalkingCompleted'>,
          row: GiftIdeaRequestRow,
        ) {
          const { sessionId } = event.payload;
          const environment = event.environment;
          const summary = row.summary as Summary;
          const currency = row.currency ?? 'EUR';
          const profileInterests = row.profileInterests ?? [];
          let ideas = row.ideas as Idea[] | null;
          let usage = noUsage;
          if (!ideas) {
            await publishStage(context, environment, sessionId, 'ideas', 'started');
            const answer = await model.json(
              'ideas',
              [
                { role: 'system', content: systemPrompt(maxIdeas, currency) },
                {
                  role: 'user',
                  content: JSON.stringify({ recipient: summary, interests_from_profile: profileInterests, currency }),
                },
              ],
              (value) => checkIdeas(value, sessionId, maxIdeas),
            );
            usage = answer.usage;
            ideas = (await inService(context, environment, 'ideas', (db) =>
              createGiftIdeasRepository(db).saveIdeas(sessionId, answer.value, context.now()),
            )) as Idea[];
          }
          await publishFor(
            context,
            environment,
            sessionId,
            'GiftIdeasReady',
            { sessionId, ideas, currency, summary, profileInterests, usage },
            'ideas',
          );
          await publishStage(context, environment, sessionId, 'ideas', 'completed');
        }

        return async (event, delivery) => {
          await guarded(context, event, delivery, 'ideas', async () => {
            const { sessionId } = event.payload;
            const changes =
              event.name === 'GiftGenerateRequested'
                ? (() => {
                    const payload = (event as GiftEvent<'GiftGenerateRequested'>).payload;
                    return {
                      summary: payload.summary,
                      currency: payload.currency,
                      locale: payload.locale,
                      profileRequested: payload.profileRequested,
                    };
                  })()
                : { profileInterests: (event as GiftEvent<'StalkingCompleted'>).payload.interests };
            const row = await inService(context, event.environment, 'ideas', (db) =>
              createGiftIdeasRepository(db).join(sessionId, changes, event.id, isComplete, context.now()),
            );
            // Only the event that completed the request makes the ideas (its redelivery too).
            if (row.triggeredBy === event.id) await generate(event as GiftEvent<'GiftGenerateRequested'>, row);
          });
        };
      }),
  };
}
