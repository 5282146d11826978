import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { type UpstreamErrorContext, upstreamShapeError } from './errors';

/**
 * Upstream JSON is checked against a TypeBox schema instead of being cast to
 * the type an adapter expects. A schema names only what the adapter reads
 * (objects accept any further fields, which upstreams keep adding) and is
 * compiled once, on its first check (not when its module loads: a start
 * would compile every adapter's schemas, ~7 ms, for the few providers it
 * uses): a check then costs tens of
 * nanoseconds, far below the JSON.parse before it, so stream events are
 * checked on the per-chunk path too.
 */
export interface UpstreamShape<Value> {
  /** The value, typed, or a non-retryable SY_ERR_UPSTREAM naming the first mismatch (never the value itself). */
  read(value: unknown, context: UpstreamErrorContext): Value;
  check(value: unknown): value is Value;
}

interface ValidationError {
  keyword: string;
  instancePath: string;
  message: string;
  params: object;
}

/** `what` completes "Upstream x sent … Switchyard cannot read", e.g. `a stream event`. */
export function upstreamShape<const Schema extends TSchema>(
  what: string,
  schema: Schema,
): UpstreamShape<Static<Schema>> {
  const compile = () => Compile(schema);
  let compiled: ReturnType<typeof compile> | undefined;
  const validator = () => {
    compiled ??= compile();
    return compiled;
  };
  const check = (value: unknown): value is Static<Schema> => validator().Check(value);
  return {
    check,
    read(value, context) {
      if (check(value)) return value;
      throw upstreamShapeError(context, what, describeMismatch(validator().Errors(value)));
    },
  };
}

function expectation(error: ValidationError): string {
  if (error.keyword === 'const' && 'allowedValue' in error.params) {
    return `must be ${JSON.stringify(error.params.allowedValue)}`;
  }
  return error.message;
}

/**
 * The most specific mismatch: the deepest path, with what each alternative of
 * a union expected there ("must be string or null"). Paths are built from the
 * schema's property names and array indexes, so they quote nothing the
 * upstream sent.
 */
export function describeMismatch(errors: readonly ValidationError[]): string {
  const specific = errors.filter((error) => error.keyword !== 'anyOf' && error.keyword !== 'oneOf');
  let deepest: ValidationError | undefined;
  for (const error of specific) {
    if (deepest === undefined || error.instancePath.length > deepest.instancePath.length) deepest = error;
  }
  if (deepest === undefined) return 'the answer does not match what was expected';
  const path = deepest.instancePath === '' ? 'the top level' : deepest.instancePath;
  const expected = [
    ...new Set(specific.filter((error) => error.instancePath === deepest.instancePath).map(expectation)),
  ];
  const alike = expected.every((text) => text.startsWith('must be '));
  const joined = expected
    .map((text, index) => (alike && index > 0 ? text.slice('must be '.length) : text))
    .join(' or ');
  return `${path} ${joined}`;
}
