import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type FastifyCompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Fastify compiles every route's validators (ajv) and response serializers (fast-json-stringify)
 * when the app starts: 0.15–0.45 s of a ~1 s start, most of it for routes a process may never
 * serve. These factories wrap Fastify's own compilers (same options, same pools) so that each
 * route's code is generated on its first request instead. `compilePendingSchemas` builds whatever
 * is still pending (tests use it to prove every schema compiles); `pendingBuilds` hands out one
 * route's builds, which the server runs after it listens for the few routes a first page load calls.
 */
interface Validator {
  (data: unknown): unknown;
  errors?: unknown;
}

type CompilerFactory = (...factoryArgs: unknown[]) => (route: unknown) => unknown;

/** One schema a route registered: its body, querystring, params or headers, or a response by status. */
export interface RouteSchema {
  method: string;
  url: string;
  /** `body`, `querystring`, `params`, `headers`, or `response <status>`. */
  part: string;
  schema: unknown;
}

export interface LazyCompilers {
  /** For Fastify's `schemaController.compilersFactory`. */
  compilersFactory: FastifyCompilersFactory;
  /** Compiles every validator and serializer not used yet; returns how many it built. */
  compilePending(): number;
  /**
   * The builds of one route's validators and serializers, one function each so a caller can run them
   * apart; each returns false when its part was built already (by a request). A serializer built this way also compiles the validators its
   * `anyOf`s use when serializing, which it otherwise compiles on its first responses.
   */
  pendingBuilds(method: string, url: string): Array<() => boolean>;
  /** Every schema the routes registered, as Fastify handed them over (tests check where they come from). */
  routeSchemas(): readonly RouteSchema[];
  /**
   * The validator Fastify uses for a route's `body` (or other part), or the serializer of one of its
   * responses (`response 400`, `response 4xx`, `response default`): the same function object, so the
   * fast path validates and serializes exactly as the route does. Undefined before the route is registered.
   */
  compiled(method: string, url: string, part: string): ((data: unknown) => unknown) | undefined;
}

interface RouteDefinition {
  schema?: unknown;
  method?: string;
  url?: string;
  httpPart?: string;
  httpStatus?: string;
}

/** One per Fastify instance, as Fastify makes its own compilers per instance. */
export function createLazyCompilers(): LazyCompilers {
  const pending = new Set<() => unknown>();
  // Per route (`GET /api/me`): a build for each of its validators and serializers, false when already built.
  const ahead = new Map<string, Array<() => boolean>>();
  const registered: RouteSchema[] = [];
  const compiledByPart = new Map<string, (data: unknown) => unknown>();
  const record = (route: unknown, part: (definition: RouteDefinition) => string) => {
    const definition = route as RouteDefinition;
    const entry = {
      method: String(definition.method),
      url: String(definition.url),
      part: part(definition),
      schema: definition.schema,
    };
    registered.push(entry);
    return `${entry.method} ${entry.url} ${entry.part}`;
  };
  const lazily = <T extends (data: unknown) => unknown>(
    route: unknown,
    build: () => T,
    options: {
      /** Runs after each call with the wrapper and the compiled function. */
      afterCall?: (wrapper: T, target: T) => void;
      /** How a build ahead of the first request compiles it (default: as the first request would). */
      buildAhead?: () => T;
    } = {},
  ): T => {
    let compiled: T | undefined;
    const compileWith = (make: () => T): T => {
      compiled ??= make();
      pending.delete(ensure);
      return compiled;
    };
    const ensure = (): T => compileWith(build);
    pending.add(ensure);
    const definition = route as RouteDefinition;
    const routeKey = `${String(definition.method)} ${String(definition.url)}`;
    const builds = ahead.get(routeKey) ?? [];
    builds.push(() => {
      if (compiled) return false;
      compileWith(options.buildAhead ?? build);
      return true;
    });
    ahead.set(routeKey, builds);
    const wrapper = ((data: unknown) => {
      const target = compiled ?? ensure();
      const result = target(data);
      options.afterCall?.(wrapper, target);
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
      return (route: unknown) => {
        const key = record(route, (definition) => String(definition.httpPart));
        const validator = lazily(route, () => compile(route) as Validator, {
          // ajv reports what failed on the function itself; Fastify reads it from the one it called.
          afterCall(wrapper: Validator, target: Validator) {
            wrapper.errors = target.errors;
          },
        });
        compiledByPart.set(key, validator);
        return validator;
      };
    },
    buildSerializer(...factoryArgs: unknown[]) {
      const compile = buildSerializerEagerly(...factoryArgs);
      // fast-json-stringify's options, with its anyOf validators compiled when the serializer is built.
      const [externalSchemas, options] = factoryArgs;
      const compileWithValidators = buildSerializerEagerly(externalSchemas, {
        ...(options as object | undefined),
        compileValidators: true,
      });
      return (route: unknown) => {
        const key = record(route, (definition) => `response ${String(definition.httpStatus)}`);
        const serializer = lazily(route, () => compile(route) as (data: unknown) => string, {
          buildAhead: () => compileWithValidators(route) as (data: unknown) => string,
        });
        compiledByPart.set(key, serializer);
        return serializer;
      };
    },
  };
  return {
    compilersFactory: compilersFactory as unknown as FastifyCompilersFactory,
    compilePending() {
      const builds = [...pending];
      for (const build of builds) build();
      return builds.length;
    },
    pendingBuilds: (method, url) => [...(ahead.get(`${method} ${url}`) ?? [])],
    routeSchemas: () => registered,
    compiled: (method, url, part) => compiledByPart.get(`${method} ${url} ${part}`),
  };
}
