import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Environment } from '@switchyard/core';
import { createGiftRerankRepository, type GiftRerankResultRow, type GiftRerankRoundRow } from '@switchyard/db';
import type { GiftEvent, Idea, Product, Summary, Usage } from './gift-events';
import { noUsage } from './gift-events';
import { type GiftModel, GiftModelOutputError, read } from './gift-model';
import {
  type GiftServiceContext,
  guarded,
  inService,
  publishFor,
  publishStage,
  subscribeForEvent,
} from './gift-service-context';
import { diversify, heuristicScore, type RankedProduct, removeDuplicates } from './rerank-scoring';

export const rerankGroup = 'gift-rerank';

/** Products the model is asked to score, and in the final list. */
const modelCandidates = 40;
const finalLimit = 20;
/** How long a delivery's claim on a round's ranking holds unless renewed, how often it is renewed, how often a waiting delivery looks again. */
const claimLeaseMs = 60_000;
const claimRenewMs = 20_000;
const claimPollMs = 250;

const systemPrompt = [
  'You rank present candidates for the person described: score each product 0-10 for how well it fits their',
  'interests, the occasion and the budget, and give a short reason. Answer with one JSON object only:',
  '{"scores":[{"id":string,"score":number,"reason":string}]}',
].join('\n');

const isComplete = (round: GiftRerankRoundRow, results: GiftRerankResultRow[]) =>
  round.ideas !== null &&
  round.expected !== null &&
  (round.expected ?? []).every((marketplace) => results.some((result) => result.marketplace === marketplace));

/**
 * Reranking: gathers GiftIdeasReady and every marketplace's ProductsFetched (reporting fetch progress
 * as they come), then scores the products against the interview, profile and budget (a heuristic,
 * refined by the model when it answers usably), removes duplicates, keeps the list diverse across
 * ideas and marketplaces, and publishes GiftReady.
 */
export function createRerankService(service: GiftServiceContext, model: GiftModel) {
  return {
    subscribe: (): Promise<void> =>
      subscribeForEvent(service, rerankGroup, ['GiftIdeasReady', 'ProductsFetched'], (context) => {
        async function rank(
          event: GiftEvent<'GiftIdeasReady' | 'ProductsFetched'>,
          round: GiftRerankRoundRow,
          results: GiftRerankResultRow[],
        ) {
          const { sessionId } = event.payload;
          const environment = event.environment;
          const ideas = round.ideas as Idea[];
          const summary = round.summary as Summary | null;
          const interests = round.profileInterests ?? [];
          const ideaById = new Map(ideas.map((idea) => [idea.id, idea]));
          const all = results.flatMap((result) =>
            (result.results as Array<{ ideaId: string; products: Product[] }>).flatMap((entry) => entry.products),
          );
          let ranking = round.ranking as Array<{ productId: string; score: number; reason: string }> | null;
          let usage: Usage = noUsage;
          let products: Product[];
          const claimant = randomUUID();
          if (!ranking) {
            const claim = await claimRanking(environment, sessionId, claimant);
            if (claim.outcome === 'ranked') ranking = claim.ranking as typeof ranking;
          }
          if (ranking) {
            const byId = new Map(all.map((product) => [product.id, product]));
            products = ranking
              .map((entry) => byId.get(entry.productId))
              .filter((product): product is Product => !!product);
          } else {
            // This delivery holds the claim: it is renewed while the model works, and given up if ranking fails.
            const renewal = setInterval(() => {
              claimRanking(environment, sessionId, claimant, false).catch((error: unknown) =>
                context.logger.warn({ sessionId, err: error }, 'gift finder: the rerank claim could not be renewed'),
              );
            }, claimRenewMs);
            renewal.unref();
            try {
              ranking = await rankNow(environment, sessionId, all, ideaById, summary, interests, (spent) => {
                usage = spent;
              });
            } catch (error) {
              await inService(context, environment, 'rerank', (db) =>
                createGiftRerankRepository(db).releaseRanking(sessionId, claimant),
              ).catch(() => {
                // The claim lapses on its own.
              });
              throw error;
            } finally {
              clearInterval(renewal);
            }
            const byId = new Map(all.map((product) => [product.id, product]));
            products = ranking
              .map((entry) => byId.get(entry.productId))
              .filter((product): product is Product => !!product);
          }
          // The stage is over before the ranking is announced: a client that sees the ranking (and shows the
          // session as ready) has every stage's outcome already.
          await publishStage(context, environment, sessionId, 'rerank', 'completed');
          await publishFor(
            context,
            environment,
            sessionId,
            'GiftReady',
            { sessionId, ranking, products, usage },
            'ready',
          );
          await publishFor(context, environment, sessionId, 'FlowCompleted', { outcome: 'succeeded' }, 'done');
        }

        /**
         * Claims the round's ranking for this delivery. Another delivery of the triggering event (a copy the
         * bus delivered again, handled at the same time) finds the claim held and waits for that delivery's
         * ranking instead of asking the model a second time; a claim whose holder died lapses after
         * `claimLeaseMs`, and the waiting delivery takes it over.
         */
        async function claimRanking(
          environment: Environment,
          sessionId: string,
          claimant: string,
          wait = true,
        ): Promise<
          { outcome: 'claimed' } | { outcome: 'ranked'; ranking: unknown } | { outcome: 'busy'; until: Date }
        > {
          let told = false;
          for (;;) {
            const now = context.now();
            const claim = await inService(context, environment, 'rerank', (db) =>
              createGiftRerankRepository(db).claimRanking(
                sessionId,
                claimant,
                now,
                new Date(now.getTime() + claimLeaseMs),
              ),
            );
            if (claim.outcome !== 'busy' || !wait) return claim;
            if (!told) {
              context.logger.info(
                { sessionId },
                'gift finder: another delivery is ranking this session; waiting for it',
              );
              told = true;
            }
            await sleep(claimPollMs);
          }
        }

        /** The heuristic ranking refined by the model, stored (the first stored ranking wins); returns the stored one. */
        async function rankNow(
          environment: Environment,
          sessionId: string,
          all: Product[],
          ideaById: Map<string, Idea>,
          summary: Summary | null,
          interests: string[],
          spent: (usage: Usage) => void,
        ): Promise<Array<{ productId: string; score: number; reason: string }>> {
          await publishStage(context, environment, sessionId, 'rerank', 'started');
          const scored = all
            .map((product) => ({
              product,
              ...heuristicScore(product, ideaById.get(product.ideaId), summary, interests),
            }))
            .sort((a, b) => b.score - a.score);
          const unique = removeDuplicates(scored.map((entry) => entry.product));
          const uniqueIds = new Set(unique.map((product) => product.id));
          let candidates: RankedProduct[] = scored.filter((entry) => uniqueIds.has(entry.product.id));
          if (candidates.length > 1) {
            const top = candidates.slice(0, modelCandidates);
            try {
              const answer = await model.json(
                'rerank',
                [
                  { role: 'system', content: systemPrompt },
                  {
                    role: 'user',
                    content: JSON.stringify({
                      person: summary,
                      interests_from_profile: interests,
                      products: top.map((entry) => ({
                        id: entry.product.id,
                        title: entry.product.title,
                        price: `${entry.product.price} ${entry.product.currency}`,
                        idea: ideaById.get(entry.product.ideaId)?.title ?? null,
                      })),
                    }),
                  },
                ],
                (value) => {
                  const list = (value as { scores?: unknown }).scores;
                  if (!Array.isArray(list)) return { ok: false, problem: '"scores" must be a list' };
                  const scores = new Map<string, { score: number; reason: string }>();
                  for (const item of list) {
                    const entry = item as Record<string, unknown>;
                    const score = read.money(entry.score);
                    if (typeof entry.id === 'string' && score !== null) {
                      scores.set(entry.id, {
                        score: Math.min(10, score) / 10,
                        reason: read.text(entry.reason, 500) ?? '',
                      });
                    }
                  }
                  return scores.size > 0
                    ? { ok: true, value: scores }
                    : { ok: false, problem: 'no product was scored' };
                },
              );
              spent(answer.usage);
              candidates = candidates.map((entry) => {
                const fromModel = answer.value.get(entry.product.id);
                return fromModel
                  ? {
                      product: entry.product,
                      score: 0.6 * fromModel.score + 0.4 * entry.score,
                      reason: fromModel.reason || entry.reason,
                    }
                  : entry;
              });
              candidates.sort((a, b) => b.score - a.score);
            } catch (error) {
              // Unusable model output: the heuristic ranking stands.
              if (!(error instanceof GiftModelOutputError)) throw error;
              spent(error.usage);
              context.logger.warn({ sessionId, reason: error.message }, 'gift finder: reranking without the model');
            }
          }
          const picked = diversify(candidates, finalLimit);
          const fresh = picked.map((entry) => ({
            productId: entry.product.id,
            score: Math.round(entry.score * 1_000) / 1_000,
            reason: entry.reason.slice(0, 1_000),
          }));
          return (await inService(context, environment, 'rerank', (db) =>
            createGiftRerankRepository(db).saveRanking(sessionId, fresh, context.now()),
          )) as typeof fresh;
        }

        return async (event, delivery) => {
          await guarded(context, event, delivery, 'rerank', async () => {
            const { sessionId } = event.payload;
            const environment = event.environment;
            let changes = {};
            let result: Omit<GiftRerankResultRow, 'sessionId'> | null = null;
            if (event.name === 'GiftIdeasReady') {
              const payload = (event as GiftEvent<'GiftIdeasReady'>).payload;
              changes = {
                ideas: payload.ideas,
                summary: payload.summary,
                profileInterests: payload.profileInterests,
                currency: payload.currency,
              };
            } else {
              const payload = (event as GiftEvent<'ProductsFetched'>).payload;
              changes = { expected: payload.marketplaces };
              result = {
                marketplace: payload.marketplace,
                status: payload.status,
                message: payload.message ?? null,
                results: payload.results,
              };
            }
            const { round, results } = await inService(context, environment, 'rerank', (db) =>
              createGiftRerankRepository(db).join(sessionId, changes, result, event.id, isComplete, context.now()),
            );
            if (result && round.expected) {
              const done = round.expected.filter((marketplace) =>
                results.some((entry) => entry.marketplace === marketplace),
              );
              const progress = done.length / Math.max(1, round.expected.length);
              await publishStage(context, environment, sessionId, 'fetch', progress >= 1 ? 'completed' : 'progress', {
                progress,
                message: `${result.marketplace}: ${result.status}${result.message ? ` (${result.message})` : ''}`.slice(
                  0,
                  2_000,
                ),
                ...(progress >= 1 ? {} : { idSuffix: result.marketplace }),
              });
            }
            if (round.triggeredBy === event.id) await rank(event as GiftEvent<'GiftIdeasReady'>, round, results);
          });
        };
      }),
  };
}
