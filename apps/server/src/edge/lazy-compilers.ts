import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type FastifyCompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Fastify compiles every route's validators (ajv) and response serializers (fast-json-stringify)
 * when the app starts: 0.15–0.45 s of a ~1 s start, most of it for routes a process may never
 * serve. These factories wrap Fastify's own compilers (same options, same pools) so that each
 * route's code is generated on its first request instead. `compilePendingSchemas` builds whatever
 * is still pending (tests use it to prove every schema compiles).
 */
interface Validator {
  (data: unknown): unknown;
  errors?: unknown;
}

type CompilerFactory = (...factoryArgs: unknown[]) => (route: unknown) => unknown;

export interface LazyCompilers {
  /** For Fastify's `schemaController.compilersFactory`. */
  compilersFactory: FastifyCompilersFactory;
  /** Compiles every validator and serializer not used yet; returns how many it built. */
  compilePending(): number;
}

/** One per Fastify instance, as Fastify makes its own compilers per instance. */
export function createLazyCompilers(): LazyCompilers {
  const pending = new Set<() => unknown>();
  const lazily = <T extends (data: unknown) => unknown>(
    build: () => T,
    afterCall?: (wrapper: T, target: T) => void,
  ): T => {
    let compiled: T | undefined;
    const ensure = (): T => {
      compiled ??= build();
      pending.delete(ensure);
      return compiled;
    };
    pending.add(ensure);
    const wrapper = ((data: unknown) => {
      const target = compiled ?? ensure();
      const result = target(data);
      afterCall?.(wrapper, target);
      return result;
    }) as T;
    return wrapper;
  };
  const buildValidatorEagerly = AjvCompiler() as unknown as CompilerFactory;
  const buildSerializerEagerly = SerializerSelector() as unknown as CompilerFactory;
  // Fastify's published types describe the ajv compile step by its schema only; at run time it is
  // called with the route definition ({ schema, method, url, httpPart }), which is what is passed on.
  const compilersFactory = {
    buildValidator(...factoryArgs: unknown[]) {
      const compile = buildValidatorEagerly(...factoryArgs);
      return (route: unknown) =>
        lazily(
          () => compile(route) as Validator,
          // ajv reports what failed on the function itself; Fastify reads it from the one it called.
          (wrapper: Validator, target: Validator) => {
            wrapper.errors = target.errors;
          },
        );
    },
    buildSerializer(...factoryArgs: unknown[]) {
      const compile = buildSerializerEagerly(...factoryArgs);
      return (route: unknown) => lazily(() => compile(route) as (data: unknown) => string);
    },
  };
  return {
    compilersFactory: compilersFactory as unknown as FastifyCompilersFactory,
    compilePending() {
      const builds = [...pending];
      for (const build of builds) build();
      return builds.length;
    },
  };
}
