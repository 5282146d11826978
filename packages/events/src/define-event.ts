import type { TSchema } from 'typebox';

export interface EventDefinition<Name extends string = string, Payload extends TSchema = TSchema> {
  /** PascalCase like the seed's queues (`GiftReady`); RabbitMQ queues and Redis streams are named after it. */
  readonly name: Name;
  /** Raised when the payload changes incompatibly; carried on every envelope so consumers can tell. */
  readonly version: number;
  /** Checked when the event is published and again before every handler attempt. */
  readonly payload: Payload;
}

export function defineEvent<const Name extends string, Payload extends TSchema>(
  name: Name,
  options: { payload: Payload; version?: number },
): EventDefinition<Name, Payload> {
  // ':' and '.' separate parts of Redis keys and RabbitMQ queue names.
  if (!/^[A-Z][A-Za-z0-9]{0,99}$/.test(name)) {
    throw new Error(`Event '${name}': name must be PascalCase letters and digits (at most 100)`);
  }
  const version = options.version ?? 1;
  if (!Number.isInteger(version) || version < 1) throw new Error(`Event '${name}': version must be an integer ≥ 1`);
  return Object.freeze({ name, version, payload: options.payload });
}
