import type { Span, Tracer } from '@opentelemetry/api';
import type { ObservabilityConfig } from '@switchyard/core';
import type { QueryTracer } from '@switchyard/db';
import type { Logger } from 'pino';
import { version } from '../version';
import type { EdgeRequest } from './edge-request';
import type { RequestTracing } from './hooks';

/** W3C trace context of a job's enqueuer, so the job's span joins the request's trace. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/**
 * OpenTelemetry traces: an HTTP server span per request, client spans for upstream calls (undici's
 * diagnostics channels, so global fetch too), one span per database statement, per Redis command and
 * per job attempt, exported over OTLP/HTTP in batches. Built only when an OTLP endpoint is configured:
 * without one none of this is loaded and the hot path does not even check a no-op tracer.
 */
export interface Tracing {
  readonly requests: RequestTracing;
  readonly queries: QueryTracer;
  /** Runs a job attempt in a span, child of the enqueuing request's span when the carrier has one. */
  job<T>(
    job: { name: string; id: string; attempt: number },
    carrier: TraceCarrier | null,
    run: () => Promise<T>,
  ): Promise<T>;
  /** Wraps a Redis client's commands in spans. */
  traceRedis(client: { sendCommand: (...args: never[]) => unknown }): void;
  /** The active span's context (W3C headers), to store with a job; null outside a span. */
  carrier(): TraceCarrier | null;
  /** Flushes the spans not yet exported and stops. */
  shutdown(): Promise<void>;
}

type TracingConfig = NonNullable<ObservabilityConfig['tracing']>;

const requestSpans = new WeakMap<EdgeRequest, Span>();

export async function startTracing(config: TracingConfig, logger: Pick<Logger, 'warn'>): Promise<Tracing> {
  const [api, { AsyncLocalStorageContextManager }, core, sdk, { OTLPTraceExporter }, resources, semantic, undici] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/semantic-conventions'),
      import('@opentelemetry/instrumentation-undici'),
    ]);
  const { context, propagation, SpanKind, SpanStatusCode, trace } = api;
  const exporter = new OTLPTraceExporter({ url: config.url, headers: { ...config.headers } });
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      [semantic.ATTR_SERVICE_NAME]: config.serviceName,
      [semantic.ATTR_SERVICE_VERSION]: version,
    }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [
      new sdk.BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.exportDelayMs,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracer: Tracer = provider.getTracer('switchyard', version);

  // Upstream calls: undici publishes every request (its own and global fetch's) on diagnostics channels.
  const exportHost = new URL(config.url).host;
  const upstream = new undici.UndiciInstrumentation({
    // The exporter's own requests would trace themselves in a loop.
    ignoreRequestHook: (request) => request.origin.includes(exportHost),
  });
  upstream.setTracerProvider(provider);
  upstream.enable();

  const failed = (span: Span, error: unknown) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  };

  const inSpan = async <T>(span: Span, run: () => Promise<T>): Promise<T> => {
    try {
      return await context.with(trace.setSpan(context.active(), span), run);
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  };

  return {
    requests: {
      start(request, next) {
        // A caller's traceparent makes this span part of its trace.
        const parent = propagation.extract(context.active(), request.headers);
        const span = tracer.startSpan(
          request.method,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': request.method,
              'url.path': request.url.split('?')[0] ?? '',
              'switchyard.request_id': request.id,
            },
          },
          parent,
        );
        requestSpans.set(request, span);
        context.with(trace.setSpan(parent, span), next);
      },
      end(request, route, status) {
        const span = requestSpans.get(request);
        if (!span) return;
        requestSpans.delete(request);
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', status);
        if (request.principal) span.setAttribute('switchyard.environment', request.principal.environment);
        if (request.principal?.keyId) span.setAttribute('switchyard.key_id', request.principal.keyId);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    },
    queries(statement, run) {
      // Statements outside a trace (pollers, flushes) would each be a trace of their own: noise.
      if (!trace.getSpan(context.active())) return run();
      const span = tracer.startSpan(statement.split(/\s+/, 1)[0]?.toUpperCase() || 'query', {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.query.text': statement.slice(0, 2000) },
      });
      return inSpan(span, run);
    },
    job(job, carrier, run) {
      const parent = carrier ? propagation.extract(context.active(), carrier) : context.active();
      const span = tracer.startSpan(
        `job ${job.name}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'switchyard.job.name': job.name,
            'switchyard.job.id': job.id,
            'switchyard.job.attempt': job.attempt,
          },
        },
        parent,
      );
      return context.with(trace.setSpan(parent, span), () => inSpan(span, run));
    },
    traceRedis(client) {
      const original = client.sendCommand.bind(client) as (command: { name: string }, ...rest: unknown[]) => unknown;
      (client as { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown }).sendCommand = (
        command,
        ...rest
      ) => {
        // Only commands inside a trace (not the blocking reads and heartbeats of queue workers).
        if (!trace.getSpan(context.active())) return original(command, ...rest);
        const span = tracer.startSpan(`redis ${command.name}`, {
          kind: SpanKind.CLIENT,
          attributes: { 'db.system.name': 'redis', 'db.operation.name': command.name },
        });
        const result = original(command, ...rest) as Promise<unknown>;
        result.then(
          () => span.end(),
          (error: unknown) => {
            failed(span, error);
            span.end();
          },
        );
        return result;
      };
    },
    carrier() {
      if (!trace.getSpan(context.active())) return null;
      const carrier: TraceCarrier = {};
      propagation.inject(context.active(), carrier);
      return carrier.traceparent ? carrier : null;
    },
    async shutdown() {
      upstream.disable();
      await provider
        .shutdown()
        .catch((error: unknown) =>
          logger.warn(
            { reason: error instanceof Error ? error.message : String(error) },
            'tracing: final export failed',
          ),
        );
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
