/**
 * Test support: the fake model's scripted answers for the gift finder (the testkit's fake OpenAI
 * server calls `reply` with each chat request), the marketplace fakes, and an SSE reader.
 */
import {
  type FakeMarketplaceServer,
  startFakeAllegro,
  startFakeAmazon,
  startFakeEbay,
  startFakeOlx,
} from '@switchyard/testkit';

type Message = { role: string; content: unknown };

export interface ScriptedGiftModel {
  /** Tasks whose next answer is broken JSON (each entry used once). */
  malformed: string[];
  /** Tasks whose answers are always broken. */
  alwaysMalformed: Set<string>;
  /** Requests seen per task. */
  calls: Record<string, number>;
  reply(body: Record<string, unknown>): string;
}

const taskOf = (system: string) =>
  system.includes('You help a user find a present')
    ? 'interview'
    : system.includes('You read what a user shared')
      ? 'profile'
      : system.includes('present ideas')
        ? 'ideas'
        : system.includes('You rank present candidates')
          ? 'rerank'
          : 'other';

/** Two questions, then a summary of a chess-loving sister; refuses anything about weapons. */
export function scriptedGiftModel(): ScriptedGiftModel {
  const model: ScriptedGiftModel = {
    malformed: [],
    alwaysMalformed: new Set(),
    calls: {},
    reply(body) {
      const messages = body.messages as Message[];
      const system = String(messages.find((message) => message.role === 'system')?.content ?? '');
      const task = taskOf(system);
      model.calls[task] = (model.calls[task] ?? 0) + 1;
      const brokenIndex = model.malformed.indexOf(task);
      if (brokenIndex !== -1) {
        model.malformed.splice(brokenIndex, 1);
        return 'Sure! Here is what I think: {"action": "ask", "question": ';
      }
      if (model.alwaysMalformed.has(task)) return 'I would rather chat than answer in JSON.';
      const userTexts = messages.filter((message) => message.role === 'user').map((message) => String(message.content));
      if (task === 'interview') {
        if (userTexts.some((text) => /weapon/i.test(text))) {
          return JSON.stringify({ action: 'refuse', message: 'I cannot help find weapons.' });
        }
        // The first user message is the opening; the rest are answers (and perhaps a "sum up now").
        const answers = messages.filter((message) => message.role === 'assistant').length;
        if (answers < 2) return JSON.stringify({ action: 'ask', question: `Question ${answers + 1}: tell me more?` });
        // A fenced answer with a trailing comma: repaired, not retried.
        return `\`\`\`json\n${JSON.stringify({
          action: 'complete',
          summary: {
            relation: 'sister',
            age: 30,
            interests: ['chess', 'coffee'],
            occasion: 'birthday',
            budget: { min: 10, max: 60, currency: 'EUR' },
            dislikes: ['glass'],
            notes: '',
          },
        }).replace(/}}$/, '},}')}\n\`\`\``;
      }
      if (task === 'profile') return JSON.stringify({ interests: ['chess', 'espresso'], notes: 'plays online' });
      if (task === 'ideas') {
        return JSON.stringify({
          ideas: [
            { title: 'A chess set', reason: 'She plays chess', query: 'chess set', price_min: 10, price_max: 100 },
            { title: 'A chess clock', reason: 'For tournaments', query: 'chess clock', price_min: null, price_max: 80 },
          ],
        });
      }
      if (task === 'rerank') {
        const input = JSON.parse(userTexts.at(-1) ?? '{}') as { products?: Array<{ id: string; title: string }> };
        return JSON.stringify({
          scores: (input.products ?? []).map((product) => ({
            id: product.id,
            score: /wooden/i.test(product.title) ? 9 : 6,
            reason: `fits: ${product.title}`,
          })),
        });
      }
      return '{}';
    },
  };
  return model;
}

export const marketplaceCredentials = {
  clientId: 'gift-client-id-4411',
  clientSecret: 'gift-client-secret-Yh71',
  amazon: { accessKey: 'AKIAGIFTFAKEKEY01', secretKey: 'giftSecretKey/AbCdEf0123456789', partnerTag: 'gifts-21' },
};

export interface MarketplaceFakes {
  ebay: FakeMarketplaceServer;
  allegro: FakeMarketplaceServer;
  amazon: FakeMarketplaceServer;
  olx: FakeMarketplaceServer;
  /** The `marketplaces:` config section pointing at the fakes. */
  config: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startMarketplaceFakes(): Promise<MarketplaceFakes> {
  const { clientId, clientSecret, amazon: amazonKeys } = marketplaceCredentials;
  const [ebay, allegro, amazon, olx] = await Promise.all([
    startFakeEbay({ clientId, clientSecret }),
    startFakeAllegro({ clientId, clientSecret }),
    startFakeAmazon(amazonKeys),
    startFakeOlx({ clientId, clientSecret }),
  ]);
  const timeoutMs = 5_000;
  return {
    ebay,
    allegro,
    amazon,
    olx,
    config: {
      ebay: { baseURL: ebay.url, clientId, clientSecret, marketplaceId: 'EBAY_DE', timeoutMs },
      allegro: { baseURL: allegro.url, authURL: allegro.url, clientId, clientSecret, timeoutMs },
      amazon: { baseURL: amazon.url, ...amazonKeys, timeoutMs },
      olx: { baseURL: olx.url, clientId, clientSecret, timeoutMs },
    },
    async close() {
      await Promise.all([ebay.close(), allegro.close(), amazon.close(), olx.close()]);
    },
  };
}

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a whole stream (the server ends it after `done`). */
export async function readSse(response: Response): Promise<SseMessage[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { id: field('id'), event: field('event') ?? '', data: JSON.parse(field('data') ?? 'null') };
    });
}
