import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { BudgetTicket } from '../plans/budget-enforcer';
import type { PlanResolution } from '../plans/plan-store';
import type { Principal, RouteBehaviour, UsageInfo } from './principal';

/**
 * What the request rules (edge/hooks.ts, plan-limits.ts, error-handler.ts) and the chat handlers read and
 * write of a request. A FastifyRequest is one; the fast path (edge/fast-path.ts) makes its own, so both
 * run the same rules.
 */
export interface EdgeRequest {
  readonly id: string;
  readonly ip: string;
  readonly method: string;
  readonly url: string;
  /** The Host the client named (behind a trusted proxy, the one it forwarded). */
  readonly host: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
  readonly log: FastifyBaseLogger;
  /** The level `log` has, read without making it (the fast path makes its request logger on first use). */
  readonly logLevel?: string;
  readonly routeOptions: {
    readonly url?: string | undefined;
    readonly config?: { readonly behaviour?: RouteBehaviour; readonly metricsRoute?: string } | undefined;
  };
  readonly body?: unknown;
  readonly params?: unknown;
  principal: Principal | null;
  usageInfo: UsageInfo | null;
  receivedAt: number | null;
  disconnect: AbortController | null;
  plan: PlanResolution | null;
  budgetTicket: BudgetTicket | null;
  streaming: boolean;
  errorCode: string | null;
}

/** What the rules and the chat handlers do with a response. A FastifyReply is one. */
export interface EdgeReply {
  readonly raw: ServerResponse;
  readonly request: { streaming: boolean };
  readonly statusCode: number;
  readonly sent: boolean;
  header(name: string, value: string): unknown;
  getHeaders(): Record<string, unknown>;
  /** The handler writes the response itself from here on (a server-sent event stream). */
  hijack(): unknown;
}
