/**
 * What routing reports, as narrow shapes a Prometheus registry and a pino logger both satisfy:
 * the engine knows no metrics or logging library.
 */
export interface RoutingLogger {
  info(details: object, message: string): void;
  warn(details: object | string, message?: string): void;
}

interface CounterLike<Label extends string> {
  inc(labels: Partial<Record<Label, string>>, value?: number): void;
}

interface HistogramLike<Label extends string> {
  observe(labels: Partial<Record<Label, string>>, value: number): void;
}

export interface RoutingMetrics {
  readonly keyCooldowns: CounterLike<'provider'>;
  readonly upstreamDuration: HistogramLike<'provider' | 'model' | 'outcome'>;
  readonly upstreamFailures: CounterLike<'provider' | 'model' | 'code'>;
  readonly fallbacks: CounterLike<'model' | 'deployment'>;
}
