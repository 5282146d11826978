import type { GiftFinderConfig } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { ChatMessage } from '@switchyard/providers';
import type { ModelRegistry, Router } from '@switchyard/routing';
import { addUsage, noUsage, type Usage } from './gift-events';

export type GiftModelTask = 'interview' | 'profile' | 'ideas' | 'rerank';

export interface GiftModelDependencies {
  readonly models: Pick<ModelRegistry, 'resolve'>;
  readonly router: Pick<Router, 'complete'>;
  readonly config: { readonly giftFinder: GiftFinderConfig; readonly defaultModel: string | null };
}

/** What a step's validator says of the parsed answer: the value it wants, or what is wrong with it. */
export type AnswerCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The model answered, but never with the JSON asked for: the step fails instead of the handler crashing. */
export class GiftModelOutputError extends SwitchyardError {
  readonly usage: Usage;
  constructor(message: string, usage: Usage) {
    super('SY_ERR_UPSTREAM', message, { isRetryable: false });
    this.usage = usage;
  }
}

/**
 * Finds the JSON object in a model's answer: as is, inside a ``` fence, or between the first `{`
 * and the last `}`; a trailing comma before `}`/`]` is forgiven. Undefined when there is none.
 */
export function extractJson(text: string): unknown {
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced?.[1]) candidates.push(fenced[1].trim());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first !== -1 && last > first) candidates.push(text.slice(first, last + 1));
  for (const candidate of candidates) {
    for (const attempt of [candidate, candidate.replace(/,\s*([}\]])/g, '$1')]) {
      try {
        const value: unknown = JSON.parse(attempt);
        if (value !== null && typeof value === 'object') return value;
      } catch {
        // the next form
      }
    }
  }
  return undefined;
}

export interface GiftModel {
  /** The model id a step uses (config `giftFinder.models.<task>`, `giftFinder.model`, `defaultModel`). */
  modelFor(task: GiftModelTask): string | null;
  /**
   * Asks for a JSON answer and checks it; an answer that is not JSON, or not the JSON asked for, is
   * asked again with the problem named (`giftFinder.modelAttempts`, default 3), then GiftModelOutputError.
   * Upstream failures propagate (the bus retries the event).
   */
  json<T>(
    task: GiftModelTask,
    messages: ChatMessage[],
    check: (value: unknown) => AnswerCheck<T>,
    signal?: AbortSignal,
  ): Promise<{ value: T; usage: Usage }>;
}

export function createGiftModel(dependencies: GiftModelDependencies): GiftModel {
  const { models, router, config } = dependencies;
  const settings = config.giftFinder;
  const attempts = settings.modelAttempts ?? 3;

  function modelFor(task: GiftModelTask): string | null {
    return settings.models?.[task] ?? settings.model ?? config.defaultModel ?? null;
  }

  function costOf(model: string, promptTokens: number, completionTokens: number): number {
    const price = settings.prices?.find((entry) => entry.model === model);
    if (!price) return 0;
    return (promptTokens * price.promptPerMillion + completionTokens * price.completionPerMillion) / 1_000_000;
  }

  return {
    modelFor,
    async json(task, messages, check, signal) {
      const model = modelFor(task);
      const route = model ? models.resolve(model) : undefined;
      if (!model || !route) {
        throw new GiftModelOutputError(
          model
            ? `The gift finder's ${task} model '${model}' is not configured`
            : 'The gift finder has no model: set giftFinder.model or defaultModel',
          noUsage,
        );
      }
      const conversation: ChatMessage[] = [...messages];
      let usage = noUsage;
      let problem = 'no answer';
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        const routed = await router.complete(
          route,
          { model: route.id, messages: conversation, response_format: { type: 'json_object' }, temperature: 0.4 },
          signal ?? new AbortController(),
        );
        const completion = routed.value;
        const promptTokens = completion.usage?.prompt_tokens ?? 0;
        const completionTokens = completion.usage?.completion_tokens ?? 0;
        usage = addUsage(usage, {
          promptTokens,
          completionTokens,
          cost: costOf(model, promptTokens, completionTokens),
        });
        const content = completion.choices[0]?.message.content;
        const text = typeof content === 'string' ? content : '';
        const parsed = extractJson(text);
        if (parsed === undefined) problem = 'the answer was not a JSON object';
        else {
          const checked = check(parsed);
          if (checked.ok) return { value: checked.value, usage };
          problem = checked.problem;
        }
        conversation.push(
          { role: 'assistant', content: text.slice(0, 4_000) },
          {
            role: 'user',
            content: `That answer cannot be used: ${problem}. Answer again with only the JSON object asked for.`,
          },
        );
      }
      throw new GiftModelOutputError(
        `The ${task} model did not answer with the JSON asked for after ${attempts} attempts (${problem})`,
        usage,
      );
    },
  };
}

/** Small checks for model answers (the answers are untrusted text). */
export const read = {
  text(value: unknown, maxLength: number): string | null {
    return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, maxLength) : null;
  },
  list(value: unknown, maxItems: number, maxLength = 200): string[] {
    if (!Array.isArray(value)) return [];
    return value
      .map((item) => read.text(item, maxLength))
      .filter((item): item is string => item !== null)
      .slice(0, maxItems);
  },
  money(value: unknown): number | null {
    const number = typeof value === 'string' ? Number(value) : value;
    return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? Math.round(number * 100) / 100 : null;
  },
};
