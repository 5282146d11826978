import Type, { type Static } from 'typebox';
import { defineEvent, type EventDefinition } from './define-event';
import { giftFinderEvents } from './gift-events';

export * from './define-event';
export * from './gift-events';

export type EventCatalog = { readonly [name: string]: EventDefinition };
export type EventName<Catalog extends EventCatalog> = keyof Catalog & string;
export type EventPayload<Catalog extends EventCatalog, Name extends EventName<Catalog>> = Static<
  Catalog[Name]['payload']
>;

/** Keys a list of definitions by name, keeping each name's payload type. */
export function defineEventCatalog<const Definitions extends readonly EventDefinition[]>(
  definitions: Definitions,
): { readonly [Definition in Definitions[number] as Definition['name']]: Definition } {
  const catalog: Record<string, EventDefinition> = {};
  for (const definition of definitions) {
    if (catalog[definition.name]) throw new Error(`Event '${definition.name}' is defined twice`);
    catalog[definition.name] = definition;
  }
  return Object.freeze(catalog) as { readonly [Definition in Definitions[number] as Definition['name']]: Definition };
}

export function findEventDefinition(catalog: EventCatalog, name: string): EventDefinition | undefined {
  return Object.hasOwn(catalog, name) ? catalog[name] : undefined;
}

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

/** A step of a flow (a gift-finder session, an import) began, made progress or finished. */
export const flowStageChanged = defineEvent('FlowStageChanged', {
  payload: Type.Object({
    stage: Text(100),
    status: Type.Union([
      Type.Literal('started'),
      Type.Literal('progress'),
      Type.Literal('completed'),
      Type.Literal('failed'),
    ]),
    message: Type.Optional(Type.String({ maxLength: 2_000 })),
    /** 0–1 when the stage knows how far it is. */
    progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  }),
});

/** A flow ended; followers of the flow's stream stop after it. */
export const flowCompleted = defineEvent('FlowCompleted', {
  payload: Type.Object({
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')]),
    message: Type.Optional(Type.String({ maxLength: 2_000 })),
  }),
});

/**
 * A run of a user's saved search found results it had not found before. Notifications subscribe to it
 * and deliver on the channels the user chose for the search.
 */
export const savedSearchResultsFound = defineEvent('SavedSearchResultsFound', {
  payload: Type.Object({
    searchId: Text(200),
    userId: Text(200),
    /** The run (its job id) that found them. */
    runId: Text(300),
    name: Text(200),
    query: Text(500),
    /** How many results are new; `results` holds the first of them. */
    newResults: Type.Integer({ minimum: 1 }),
    results: Type.Array(
      Type.Object({
        title: Type.String({ maxLength: 1_000 }),
        url: Text(4_000),
        snippet: Type.String({ maxLength: 4_000 }),
      }),
      { maxItems: 20 },
    ),
    /** A model's summary of the new results, when the search asks for one and it could be made. */
    summary: Type.Optional(Type.String({ maxLength: 8_000 })),
    /** The user's stored preference: where to deliver (e.g. `in_app`, `email`, `whatsapp`). */
    channels: Type.Array(Text(50), { maxItems: 10 }),
  }),
});

/** Every event the platform publishes; capabilities add theirs here. */
export const platformEvents = defineEventCatalog([
  flowStageChanged,
  flowCompleted,
  ...giftFinderEvents,
  savedSearchResultsFound,
]);
export type PlatformEvents = typeof platformEvents;
