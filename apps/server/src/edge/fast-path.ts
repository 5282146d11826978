import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { SecretScrubber } from '@switchyard/core';
import type { FastifyBaseLogger } from 'fastify';
import { errorCodes } from 'fastify';
import type { BudgetTicket } from '../plans/budget-enforcer';
import type { PlanResolution } from '../plans/plan-store';
import type { EdgeReply, EdgeRequest } from './edge-request';
import { errorAnswer } from './error-handler';
import type { RequestRules } from './hooks';
import type { Principal, RouteBehaviour, UsageInfo } from './principal';
import { requestIdFrom } from './request-context';
import { findUnstorableText, unstorableTextError } from './text-input';

/**
 * The fast path: one hot route (`POST /v1/chat/completions`) served straight from the HTTP server's
 * `request` listener instead of through Fastify's pipeline (its hooks as promises, its body parser, its
 * reply). Every rule is the same code Fastify's hooks run (edge/hooks.ts `RequestRules`, the text-input
 * check, the route's own compiled validator and error serializers, Fastify's own JSON parser, the error
 * answer of edge/error-handler.ts), so the two paths answer alike; a test sends the same requests to
 * both. What would need more code is decided on the headers, before the body is read, and handed to
 * Fastify unchanged: a query string, another content type, `Prefer` (respond-async), a session cookie,
 * a forwarded address behind a trusted proxy, and everything while the server drains.
 */
export interface FastPathRoute {
  readonly method: string;
  readonly url: string;
  readonly behaviour: RouteBehaviour;
  /** The route's handler once the rules passed and the body is valid. */
  answer(request: EdgeRequest, reply: EdgeReply, body: unknown): Promise<FastPathAnswer>;
}

export type FastPathAnswer =
  | { readonly kind: 'json-text'; readonly text: string }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'streamed' };

export interface FastPathOptions {
  readonly rules: RequestRules;
  readonly logger: FastifyBaseLogger;
  readonly bodyLimit: number;
  /** With a trusted proxy, a request with X-Forwarded-For goes to Fastify (which computes its address). */
  readonly trustProxy: boolean | string;
  readonly secrets: SecretScrubber;
  readonly isDraining: () => boolean;
  readonly securityHeaders: ReadonlyArray<readonly [string, string]>;
  /** Fastify's JSON body parser (`getDefaultJsonParser`): the same errors for an empty or broken body. */
  readonly parseJson: (text: string) => unknown;
  /** The route's compiled validator (`body`) and response serializers (`response <status>`), Fastify's own. */
  readonly compiled: (method: string, url: string, part: string) => ((data: unknown) => unknown) | undefined;
  /** After each response (the server's own bookkeeping, such as closing idle connections at shutdown). */
  readonly afterResponse?: () => void;
}

export interface FastPath {
  /** Serves the request and returns true, or returns false (untouched) for Fastify to serve it. */
  serve(raw: IncomingMessage, res: ServerResponse): boolean;
  /** How many requests it served (tests check that it was the fast path that answered). */
  served(): number;
}

const jsonType = 'application/json; charset=utf-8';

class FastRequest implements EdgeRequest {
  readonly id: string;
  readonly ip: string;
  readonly method: string;
  readonly url: string;
  readonly host: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
  readonly routeOptions: { readonly url: string; readonly config: { readonly behaviour: RouteBehaviour } };
  readonly params = {};
  body: unknown = undefined;
  principal: Principal | null = null;
  usageInfo: UsageInfo | null = null;
  receivedAt: number | null = null;
  disconnect: AbortController | null = null;
  plan: PlanResolution | null = null;
  budgetTicket: BudgetTicket | null = null;
  streaming = false;
  errorCode: string | null = null;
  #log: FastifyBaseLogger | null = null;
  readonly #logger: FastifyBaseLogger;

  constructor(
    raw: IncomingMessage,
    route: FastPathRoute,
    routeOptions: FastRequest['routeOptions'],
    logger: FastifyBaseLogger,
  ) {
    this.raw = raw;
    this.headers = raw.headers;
    this.id = requestIdFrom(raw.headers['x-request-id']);
    this.ip = raw.socket.remoteAddress ?? '';
    this.method = route.method;
    this.url = route.url;
    this.host = raw.headers.host ?? '';
    this.routeOptions = routeOptions;
    this.#logger = logger;
  }

  /** Fastify's request logger (a child with the request id), made only when something is logged. */
  get log(): FastifyBaseLogger {
    this.#log ??= this.#logger.child({ reqId: this.id });
    return this.#log;
  }

  get logLevel(): string {
    return (this.#log ?? this.#logger).level;
  }
}

class FastReply implements EdgeReply {
  readonly raw: ServerResponse;
  readonly request: FastRequest;
  statusCode = 200;
  readonly headers: Record<string, string> = {};
  #hijacked = false;

  constructor(request: FastRequest, res: ServerResponse, securityHeaders: ReadonlyArray<readonly [string, string]>) {
    this.request = request;
    this.raw = res;
    for (const [name, value] of securityHeaders) this.headers[name] = value;
  }

  get sent(): boolean {
    return this.#hijacked || this.raw.headersSent;
  }

  header(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  getHeaders(): Record<string, string> {
    return this.headers;
  }

  hijack(): this {
    this.#hijacked = true;
    return this;
  }

  send(status: number, body: string): void {
    if (this.raw.destroyed || this.raw.headersSent) return;
    this.statusCode = status;
    const headers = this.headers;
    headers['content-type'] ??= jsonType;
    headers['content-length'] = String(Buffer.byteLength(body));
    this.raw.writeHead(status, headers);
    this.raw.end(body);
  }
}

/** The body as Fastify's parser reads it: the limit, then the declared length, decoded once as UTF-8. */
function readBody(raw: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(raw.headers['content-length']);
    if (declared > limit) {
      reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onEnd);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        cleanup();
        reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      chunks.push(chunk);
    };
    function onEnd(error?: Error & { statusCode?: number }) {
      cleanup();
      if (error != null) {
        if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
        reject(error);
      } else if (!Number.isNaN(declared) && received !== declared) {
        reject(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      } else {
        resolve(
          chunks.length === 1
            ? (chunks[0] as Buffer).toString('utf8')
            : Buffer.concat(chunks, received).toString('utf8'),
        );
      }
    }
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onEnd);
  });
}

function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.toLowerCase();
  return type === 'application/json' || type.startsWith('application/json;');
}

/** Fastify's validation error for a body that failed its schema (what normalizeError reads). */
function validationError(errors: unknown): Error {
  return Object.assign(new Error('body failed validation'), {
    validation: errors,
    validationContext: 'body',
    statusCode: 400,
  });
}

export function createFastPath(route: FastPathRoute, options: FastPathOptions): FastPath {
  const { rules, secrets } = options;
  let validator: ((data: unknown) => unknown) & { errors?: unknown };
  const serializers = new Map<number, ((data: unknown) => unknown) | null>();
  let served = 0;
  /** The route's options, one object for every request (nothing writes to it). */
  const routeOptions = { url: route.url, config: { behaviour: route.behaviour } } as const;

  /** The route's serializer for a status, as Fastify picks it: the status, then `4xx`, then `default`. */
  const serializerFor = (status: number) => {
    let serializer = serializers.get(status);
    if (serializer === undefined) {
      serializer =
        options.compiled(route.method, route.url, `response ${status}`) ??
        options.compiled(route.method, route.url, `response ${String(status)[0]}xx`) ??
        options.compiled(route.method, route.url, 'response default') ??
        null;
      serializers.set(status, serializer);
    }
    return serializer;
  };

  const fail = (request: FastRequest, reply: FastReply, thrown: unknown) => {
    if (reply.sent) {
      // A stream already under way ends its own way; a response half written cannot be answered again.
      if (!reply.raw.writableEnded) reply.raw.destroy();
      return;
    }
    const answer = errorAnswer(request, thrown, secrets);
    for (const [name, value] of answer.headers) reply.header(name, value);
    const serializer = serializerFor(answer.status);
    reply.header('content-type', jsonType);
    reply.send(answer.status, String(serializer ? serializer(answer.body) : JSON.stringify(answer.body)));
  };

  const run = async (request: FastRequest, reply: FastReply) => {
    await rules.admit(request, reply);
    let body: unknown;
    try {
      body = options.parseJson(await readBody(request.raw, options.bodyLimit));
    } catch (error) {
      // As Fastify does: a body that could not be read or parsed may be followed by more of it.
      reply.header('connection', 'close');
      throw error;
    }
    const problem = findUnstorableText(body, 'body');
    if (problem) throw unstorableTextError(problem);
    if (validator(body) === false) throw validationError(validator.errors);
    request.body = body;
    const planned = rules.beforeHandler(request);
    if (planned) await planned;
    const answer = await route.answer(request, reply, body);
    if (answer.kind === 'json-text') {
      reply.header('content-type', jsonType);
      reply.send(200, answer.text);
    } else if (answer.kind === 'value') {
      reply.send(200, JSON.stringify(answer.value));
    }
  };

  return {
    serve(raw, res) {
      if (raw.method !== route.method || raw.url !== route.url) return false;
      const headers = raw.headers;
      if (
        !isJsonContentType(headers['content-type']) ||
        headers.prefer !== undefined ||
        headers.cookie !== undefined ||
        (options.trustProxy !== false && headers['x-forwarded-for'] !== undefined) ||
        options.isDraining()
      ) {
        return false;
      }
      if (!validator) {
        const compiled = options.compiled(route.method, route.url, 'body');
        if (!compiled) return false;
        validator = compiled;
      }
      served += 1;
      const started = performance.now();
      const request = new FastRequest(raw, route, routeOptions, options.logger);
      const reply = new FastReply(request, res, options.securityHeaders);
      res.once('finish', () => {
        rules.finished(request, reply.raw.statusCode, performance.now() - started);
        options.afterResponse?.();
      });
      rules.enter(request, reply, () => {
        run(request, reply).catch((error: unknown) => fail(request, reply, error));
      });
      return true;
    },
    served: () => served,
  };
}

/**
 * Puts the fast path in front of Fastify on the app's HTTP server: Fastify's own `request` listener
 * still serves every request the fast path declines.
 */
export function installFastPath(server: Server, fastPath: FastPath): void {
  const listeners = server.listeners('request') as Array<(raw: IncomingMessage, res: ServerResponse) => void>;
  const [fastify] = listeners;
  // Fastify's is the only one: another listener would still see every request the fast path answers.
  if (!fastify || listeners.length !== 1) {
    throw new Error(`The fast path expects Fastify's request listener alone on the server (found ${listeners.length})`);
  }
  server.removeListener('request', fastify);
  server.on('request', (raw: IncomingMessage, res: ServerResponse) => {
    if (!fastPath.serve(raw, res)) fastify.call(server, raw, res);
  });
}
