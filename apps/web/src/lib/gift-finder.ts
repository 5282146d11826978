// Wire shapes of /v1/apps/gift-finder: the server's own schemas (docs/gift-finder.md).
import type {
  GiftAnswerCreate,
  GiftProduct,
  GiftSession,
  GiftSessionList,
  GiftSessionResponse,
  GiftSessionCreate as NewGiftSession,
} from '@switchyard/api-schemas';
import { api } from './api';
import { i18n, t } from './i18n';

export type { GiftProduct, GiftSession, NewGiftSession };
export type GiftSessionStatus = GiftSession['status'];
export type GiftMessage = GiftSession['messages'][number];
export type GiftStage = GiftSession['stages'][number];
export type GiftStageName = GiftStage['stage'];
export type GiftStageStatus = GiftStage['status'];
export type GiftMarketplace = GiftSession['marketplaces'][number];
export type GiftMarketplaceStatus = GiftMarketplace['status'];
export type GiftIdea = GiftSession['ideas'][number];
export type GiftRanked = NonNullable<GiftSession['ranking']>[number];
export type GiftSummary = NonNullable<GiftSession['summary']>;
export type GiftSessionSummary = GiftSessionList['data'][number];

const base = '/v1/apps/gift-finder/sessions';
export const giftSessionsKey = ['gift-sessions'] as const;
export const giftSessionKey = (id: string) => ['gift-session', id] as const;
export const giftEventsUrl = (id: string) => `${base}/${encodeURIComponent(id)}/events`;
/** A product's image through this server (the page's Content-Security-Policy loads no other origin). */
export const giftProductImageUrl = (sessionId: string, productId: string) =>
  `${base}/${encodeURIComponent(sessionId)}/products/${encodeURIComponent(productId)}/image`;

export const listGiftSessions = () => api<GiftSessionList>(base).then((body) => body.data);
export const getGiftSession = (id: string) =>
  api<GiftSessionResponse>(`${base}/${encodeURIComponent(id)}`).then((body) => body.session);
export const createGiftSession = (body: NewGiftSession) =>
  api<GiftSessionResponse>(base, { method: 'POST', json: body }).then((result) => result.session);
export const answerGiftSession = (id: string, text: GiftAnswerCreate['text']) =>
  api<GiftSessionResponse>(`${base}/${encodeURIComponent(id)}/answers`, {
    method: 'POST',
    json: { text } satisfies GiftAnswerCreate,
  }).then((result) => result.session);

export const terminalStatuses: readonly GiftSessionStatus[] = ['ready', 'refused', 'failed'];
export const isTerminal = (status: GiftSessionStatus) => terminalStatuses.includes(status);

/** The stages in the order the flow runs them. */
export const stageOrder: readonly GiftStageName[] = ['interview', 'profile', 'ideas', 'fetch', 'rerank'];

/**
 * What the event stream has said so far about one session. The stream replays from the start (or from
 * Last-Event-ID after a reconnect), so folding an event in twice must change nothing.
 */
export interface GiftLive {
  status: GiftSessionStatus | null;
  messages: GiftMessage[];
  stages: Partial<Record<GiftStageName, GiftStage>>;
  products: GiftProduct[];
  /** Products seen per marketplace (for its count while the snapshot has not caught up). */
  marketplaceCounts: Record<string, number>;
  ranking: GiftRanked[] | null;
  refusal: string | null;
  done: boolean;
}

export const emptyLive: GiftLive = {
  status: null,
  messages: [],
  stages: {},
  products: [],
  marketplaceCounts: {},
  ranking: null,
  refusal: null,
  done: false,
};

export type GiftEvent =
  | { type: 'question' | 'answer'; data: { message: GiftMessage } }
  | { type: 'stage'; data: GiftStage }
  | { type: 'products'; data: { idea_id: string; marketplace: string; products: GiftProduct[] } }
  | { type: 'ranking'; data: { ranking: GiftRanked[]; products: GiftProduct[] } }
  // The refusal as an interview message (a string is taken too).
  | { type: 'refused'; data: { message: GiftMessage | string } }
  | { type: 'done'; data: { status: GiftSessionStatus } };

export const giftEventTypes = ['question', 'answer', 'stage', 'products', 'ranking', 'refused', 'done'] as const;

const statusRank: Record<GiftSessionStatus, number> = {
  interviewing: 0,
  searching: 1,
  ready: 2,
  refused: 2,
  failed: 2,
};
const stageRank: Record<GiftStageStatus, number> = { pending: 0, started: 1, completed: 2, failed: 2 };

/** The later of two statuses: a session only moves forward (interviewing → searching → an end). */
function laterStatus(a: GiftSessionStatus | null, b: GiftSessionStatus | null): GiftSessionStatus | null {
  if (a === null) return b;
  if (b === null) return a;
  return statusRank[b] > statusRank[a] ? b : a;
}

function laterStage(a: GiftStage | undefined, b: GiftStage | undefined): GiftStage | undefined {
  if (!a) return b;
  if (!b) return a;
  if (stageRank[b.status] > stageRank[a.status]) return b;
  if (stageRank[b.status] < stageRank[a.status]) return a;
  // Same status: the one that has got further (progress only grows).
  return (b.progress ?? -1) >= (a.progress ?? -1) ? b : a;
}

function unionById<T extends { id: string }>(first: readonly T[], second: readonly T[]): T[] {
  const seen = new Set(first.map((item) => item.id));
  const added = second.filter((item) => !seen.has(item.id) && seen.add(item.id));
  return added.length === 0 ? [...first] : [...first, ...added];
}

/** Folds one event into what the stream has said. Idempotent: a replayed event changes nothing. */
export function applyGiftEvent(live: GiftLive, event: GiftEvent): GiftLive {
  switch (event.type) {
    case 'question':
    case 'answer':
      return { ...live, messages: unionById(live.messages, [event.data.message]) };
    case 'stage': {
      const stage = laterStage(live.stages[event.data.stage], event.data);
      // Anything after the interview starting means the interview is over.
      const searching = event.data.stage !== 'interview' || event.data.status === 'completed';
      return {
        ...live,
        stages: stage ? { ...live.stages, [event.data.stage]: stage } : live.stages,
        status: searching ? laterStatus(live.status, 'searching') : laterStatus(live.status, 'interviewing'),
      };
    }
    case 'products': {
      const products = unionById(live.products, event.data.products);
      const counts: Record<string, number> = {};
      for (const product of products) counts[product.marketplace] = (counts[product.marketplace] ?? 0) + 1;
      return {
        ...live,
        products,
        marketplaceCounts: counts,
        status: laterStatus(live.status, 'searching'),
      };
    }
    case 'ranking':
      return {
        ...live,
        ranking: event.data.ranking,
        products: unionById(live.products, event.data.products),
        status: laterStatus(live.status, 'ready'),
      };
    case 'refused': {
      const said = event.data.message;
      const messages = typeof said === 'string' ? live.messages : unionById(live.messages, [said]);
      const refusal = typeof said === 'string' ? said : said.text;
      return { ...live, messages, refusal, status: laterStatus(live.status, 'refused') };
    }
    case 'done':
      return { ...live, done: true, status: laterStatus(live.status, event.data.status) };
  }
}

/**
 * The session as the page shows it: the last snapshot (GET) with what the stream has said since.
 * Either may be ahead of the other (a snapshot fetched while events arrive), so each field takes
 * whichever has got further.
 */
export function mergeGiftSession(snapshot: GiftSession, live: GiftLive): GiftSession {
  const status = laterStatus(snapshot.status, live.status) ?? snapshot.status;
  const messages = unionById(snapshot.messages, live.messages).sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0,
  );
  const stages = stageOrder.flatMap((name) => {
    const stage = laterStage(
      snapshot.stages.find((entry) => entry.stage === name),
      live.stages[name],
    );
    return stage ? [stage] : [];
  });
  const marketplaces = snapshot.marketplaces.map((entry) => ({
    ...entry,
    count: Math.max(entry.count, live.marketplaceCounts[entry.marketplace] ?? 0),
  }));
  for (const [marketplace, count] of Object.entries(live.marketplaceCounts)) {
    if (!marketplaces.some((entry) => entry.marketplace === marketplace)) {
      marketplaces.push({ marketplace, status: 'pending', count });
    }
  }
  const last = messages.at(-1);
  return {
    ...snapshot,
    status,
    messages,
    // A question is open while interviewing and the assistant spoke last.
    awaiting_answer: status === 'interviewing' && last?.role === 'assistant',
    stages,
    marketplaces,
    products: unionById(snapshot.products, live.products),
    ranking: snapshot.ranking ?? live.ranking,
  };
}

/** Marketplace ids as people know them. */
const marketplaceNames: Record<string, string> = { ebay: 'eBay', allegro: 'Allegro', amazon: 'Amazon', olx: 'OLX' };
export function marketplaceName(id: string): string {
  return marketplaceNames[id.toLowerCase()] ?? (id ? id.charAt(0).toUpperCase() + id.slice(1) : id);
}

/** A price in its currency, in the page's language; a code Intl does not know is shown as is. */
export function formatPrice(price: number | null, currency: string, locale = i18n.language): string {
  if (price === null || !Number.isFinite(price)) return t('gift.noPrice');
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(price);
  } catch {
    return `${price} ${currency}`;
  }
}

/** Only http(s) links become links: a product URL comes from a marketplace, not from us. */
export function safeLink(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Profile links typed one per line: the http(s) ones, and the lines that are not one. */
export function parseLinks(text: string): { links: string[]; invalid: string[] } {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const links: string[] = [];
  const invalid: string[] = [];
  for (const line of lines) (safeLink(line) && !/\s/.test(line) ? links : invalid).push(line);
  return { links, invalid };
}

/** Names of stages and statuses in the page's language. */
export const stageLabel = (stage: GiftStageName): string => t(`gift.stages.${stage}`);
export const stageStatusLabel = (status: GiftStageStatus): string => t(`gift.stageStatuses.${status}`);
export const marketplaceStatusLabel = (status: GiftMarketplaceStatus): string =>
  t(`gift.marketplaceStatuses.${status}`);
export const sessionStatusLabel = (status: GiftSessionStatus): string => t(`gift.sessionStatuses.${status}`);
