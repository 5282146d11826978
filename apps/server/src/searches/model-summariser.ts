import type { ChatRequest } from '@switchyard/providers';
import type { ModelRegistry, Router } from '@switchyard/routing';
import type { Summariser } from './search-run-job';

export interface ModelSummariserDependencies {
  readonly models: Pick<ModelRegistry, 'resolve'>;
  readonly router: Pick<Router, 'complete'>;
  /** Used when the search names no model; null: searches without a model get no summary. */
  readonly defaultModel: string | null;
}

const instructions =
  'You summarise web search results for the person who saved the search. In at most five short ' +
  'sentences, say what is new about the topic, citing result numbers like [2]. Use only the results given.';

/** Summaries through the gateway's router, like any chat request (fallbacks, key rotation, retries). */
export function createModelSummariser({ models, router, defaultModel }: ModelSummariserDependencies): Summariser {
  return async (search, results, signal) => {
    const modelId = search.summaryModel ?? defaultModel;
    if (!modelId) return null;
    const route = models.resolve(modelId);
    if (!route) return null;
    const list = results
      .slice(0, 20)
      .map((result, index) => `[${index + 1}] ${result.title} (${result.url})\n${result.snippet}`)
      .join('\n\n');
    const request: ChatRequest = {
      model: route.id,
      messages: [
        { role: 'system', content: instructions },
        { role: 'user', content: `Search: ${search.query}\n\nNew results:\n\n${list}` },
      ],
    };
    const routed = await router.complete(route, request, signal);
    const content = routed.value.choices[0]?.message.content;
    return typeof content === 'string' && content.trim() ? content.trim() : null;
  };
}
