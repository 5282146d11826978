import type { GiftProduct, GiftSession } from '@switchyard/api-schemas';
import type { GiftSessionProductRow, GiftSessionRow, GiftSessionView } from '@switchyard/db';
import type { Product } from './gift-events';

type Stage = GiftSession['stages'][number];
const stageOrder: Stage['stage'][] = ['interview', 'profile', 'ideas', 'fetch', 'rerank'];

export function wireProduct(product: Product | GiftSessionProductRow): GiftProduct {
  return {
    id: product.id,
    idea_id: product.ideaId,
    title: product.title,
    price: product.price,
    currency: product.currency,
    url: product.url,
    image: product.image,
    marketplace: product.marketplace,
    rating: product.rating,
  };
}

export function wireSessionSummary(session: GiftSessionRow) {
  return {
    id: session.id,
    status: session.status as GiftSession['status'],
    recipient: session.recipient,
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
  };
}

/** The read model as the API shows it (snake_case like every other body). */
export function wireSession(view: GiftSessionView): GiftSession {
  const { session } = view;
  const profileRequested = session.profileStatus !== 'none';
  const stages: Stage[] = stageOrder
    .filter((stage) => stage !== 'profile' || profileRequested)
    .map((stage) => {
      const row = view.stages.find((entry) => entry.stage === stage);
      return {
        stage,
        status: (row?.status ?? 'pending') as Stage['status'],
        ...(row?.message ? { message: row.message } : {}),
        ...(row?.progress !== null && row?.progress !== undefined ? { progress: row.progress } : {}),
      };
    });
  const ranking = session.ranking as Array<{ productId: string; score: number; reason: string }> | null;
  return {
    ...wireSessionSummary(session),
    currency: session.currency,
    messages: view.messages.map((message) => ({
      id: message.id,
      role: message.role === 'user' ? 'user' : 'assistant',
      text: message.text,
      created_at: message.createdAt.toISOString(),
    })),
    awaiting_answer: session.status === 'interviewing' && session.questionTurn > session.answeredTurn,
    summary: (session.summary as GiftSession['summary']) ?? null,
    profile: {
      status: session.profileStatus as GiftSession['profile']['status'],
      interests: session.profileInterests,
      failures: session.profileFailures,
    },
    stages,
    ideas: view.ideas.map((idea) => ({
      id: idea.id,
      title: idea.title,
      reason: idea.reason,
      query: idea.query,
      price_min: idea.priceMin,
      price_max: idea.priceMax,
    })),
    marketplaces: view.marketplaces.map((entry) => ({
      marketplace: entry.marketplace,
      status: entry.status as GiftSession['marketplaces'][number]['status'],
      ...(entry.message ? { message: entry.message } : {}),
      count: entry.count,
    })),
    products: view.products.map(wireProduct),
    ranking: ranking
      ? ranking.map((entry) => ({ product_id: entry.productId, score: entry.score, reason: entry.reason }))
      : null,
    usage: {
      prompt_tokens: view.usage.promptTokens,
      completion_tokens: view.usage.completionTokens,
      cost: view.usage.cost,
    },
  };
}
