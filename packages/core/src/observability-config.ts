import { SwitchyardError } from './errors';

/** Access log, log file and tracing settings (environment variables only; see docs/configuration.md). */
export interface ObservabilityConfig {
  readonly accessLog: {
    /** `ACCESS_LOG` (default true): one line per request answered. */
    readonly enabled: boolean;
    /**
     * `ACCESS_LOG_SAMPLE_RATE` (0–1, default 1): the share of successful (< 400) requests logged;
     * error answers and slow ones are always logged.
     */
    readonly sampleRate: number;
    /** `ACCESS_LOG_SLOW_MS` (default 5000): requests that took at least this long are always logged. */
    readonly slowMs: number;
  };
  /** `LOG_FILE`: also write every log line to this file, rotated by size and kept for a number of files. */
  readonly logFile: {
    readonly path: string;
    /** `LOG_FILE_MAX_SIZE` (default `100M`): rotate when the file reaches this size (K, M or G). */
    readonly maxSize: string;
    /** `LOG_FILE_KEEP` (default 10): rotated files kept; older ones are deleted. */
    readonly keep: number;
  } | null;
  /** OpenTelemetry traces over OTLP/HTTP; null: tracing is off and costs nothing. */
  readonly tracing: {
    /** The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
    readonly url: string;
    /** `OTEL_EXPORTER_OTLP_HEADERS` (`name=value,…`, for a collector's auth): treated as secrets. */
    readonly headers: Readonly<Record<string, string>>;
    /** `OTEL_SERVICE_NAME` (default `switchyard`). */
    readonly serviceName: string;
    /** `OTEL_TRACES_SAMPLER_ARG` (0–1, default 1): share of new traces recorded (parent-based). */
    readonly sampleRatio: number;
    /** `OTEL_BSP_SCHEDULE_DELAY` (default 5000): milliseconds between two exports of finished spans. */
    readonly exportDelayMs: number;
  } | null;
}

type Variables = Readonly<Record<string, string | undefined>>;

function ratio(name: string, raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be a number from 0 to 1, got '${raw}'`);
  }
  return value;
}

function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be true or false, got '${raw}'`);
}

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be a non-negative integer, got '${raw}'`);
  }
  return value;
}

function httpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be an http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SwitchyardError('SY_ERR_VALIDATION', `${name} must be an http(s) URL, got '${raw}'`);
  }
  return url;
}

/** `a=b,c=d` as the OpenTelemetry spec writes headers (values may be percent-encoded). */
function otlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    headers[pair.slice(0, at).trim().toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

function tracing(variables: Variables): ObservabilityConfig['tracing'] {
  if (variables.OTEL_SDK_DISABLED === 'true') return null;
  const tracesEndpoint = variables.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const endpoint = variables.OTEL_EXPORTER_OTLP_ENDPOINT;
  let url: string;
  if (tracesEndpoint) {
    url = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint).href;
  } else if (endpoint) {
    // The spec: the signal path is appended to the base endpoint.
    url = `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint).href.replace(/\/$/, '')}/v1/traces`;
  } else {
    return null;
  }
  return {
    url,
    headers: otlpHeaders(variables.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: variables.OTEL_SERVICE_NAME || 'switchyard',
    sampleRatio: ratio('OTEL_TRACES_SAMPLER_ARG', variables.OTEL_TRACES_SAMPLER_ARG),
    exportDelayMs: count('OTEL_BSP_SCHEDULE_DELAY', variables.OTEL_BSP_SCHEDULE_DELAY, 5000),
  };
}

export function parseObservabilityConfig(variables: Variables): ObservabilityConfig {
  const maxSize = variables.LOG_FILE_MAX_SIZE || '100M';
  if (!/^\d+[KMG]$/.test(maxSize)) {
    throw new SwitchyardError('SY_ERR_VALIDATION', `LOG_FILE_MAX_SIZE must be a size such as 100M, got '${maxSize}'`);
  }
  return {
    accessLog: {
      enabled: flag('ACCESS_LOG', variables.ACCESS_LOG, true),
      sampleRate: ratio('ACCESS_LOG_SAMPLE_RATE', variables.ACCESS_LOG_SAMPLE_RATE),
      slowMs: count('ACCESS_LOG_SLOW_MS', variables.ACCESS_LOG_SLOW_MS, 5000),
    },
    logFile: variables.LOG_FILE
      ? { path: variables.LOG_FILE, maxSize, keep: count('LOG_FILE_KEEP', variables.LOG_FILE_KEEP, 10) }
      : null,
    tracing: tracing(variables),
  };
}
