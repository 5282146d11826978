import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { noSecrets, type SecretScrubber, type SwitchyardConfig, scrubberFor } from '@switchyard/core';
import { type Logger, type LoggerOptions, pino } from 'pino';
import { createStream } from 'rotating-file-stream';

/**
 * Paths whose values never reach a log line. Keys arrive in Authorization
 * headers and in a few bodies (created keys, provider configs).
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'password',
  '*.password',
  'res.headers["set-cookie"]',
];

/**
 * Properties of database errors that hold the values of a query (drizzle's `params`, node-postgres'
 * `parameters`, PostgreSQL's `detail` such as `Key (email)=(…) already exists`): user content that has
 * no place in a log line.
 */
const queryValueKeys = new Set(['params', 'parameters', 'detail']);
const maxCauseDepth = 8;

/** Drizzle's "Failed query: <sql>\nparams: <values>" keeps the SQL (placeholders only), not the values. */
function withoutQueryValues(message: string): string {
  const at = message.indexOf('\nparams:');
  return at === -1 ? message : `${message.slice(0, at)}\nparams: [not logged]`;
}

/** A copy of the error and its causes without query values; the stack keeps its frames. */
function stripQueryValues(error: Error, depth = 0): Error {
  const cause =
    error.cause instanceof Error && depth < maxCauseDepth ? stripQueryValues(error.cause, depth + 1) : undefined;
  const carriesValues =
    Object.keys(error).some((key) => queryValueKeys.has(key)) || error.message.includes('\nparams:');
  if (!carriesValues && (cause === undefined || cause === error.cause)) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error & Record<string, unknown>;
  for (const [key, value] of Object.entries(error)) {
    if (!queryValueKeys.has(key) && key !== 'cause') copy[key] = value;
  }
  const message = withoutQueryValues(error.message);
  const header = `${error.name}: ${error.message}`;
  const stack = error.stack?.startsWith(header) ? `${error.name}: ${message}${error.stack.slice(header.length)}` : '';
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', {
    value: stack || `${error.name}: ${message}`,
    writable: true,
    configurable: true,
  });
  if (error.cause !== undefined) {
    Object.defineProperty(copy, 'cause', { value: cause ?? error.cause, writable: true, configurable: true });
  }
  return copy;
}

/** pino's error serializer, minus the values of failed database queries. */
export function serializeError(error: unknown): unknown {
  return pino.stdSerializers.err(error instanceof Error ? stripQueryValues(error) : (error as Error));
}

export interface LoggerSecurityOptions {
  /** Configured secret values (see collectSecretValues): replaced by `[redacted]` in every line written. */
  secrets?: SecretScrubber;
}

export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  security: LoggerSecurityOptions = {},
): Logger {
  const secrets = security.secrets ?? noSecrets;
  const options: LoggerOptions = {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: 'switchyard' },
    serializers: { err: serializeError, error: serializeError },
    // The last step before a line leaves the process: whatever field or message a secret hid in, it goes.
    // Installed even with nothing to scrub yet: a secret refreshed from Vault is added later.
    hooks: { streamWrite: (line: string) => secrets.scrub(line) },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

export interface LogFileOptions {
  readonly path: string;
  /** Rotate at this size: a number and K, M or G. */
  readonly maxSize: string;
  /** Rotated files kept beside the current one. */
  readonly keep: number;
}

/**
 * A log file rotated by size (rotating-file-stream): `switchyard.log` is always the current file,
 * rotated ones are `switchyard.log.<date>-<n>` and only the newest `keep` of them stay.
 */
export function createLogFile(options: LogFileOptions): NodeJS.WritableStream {
  const directory = dirname(resolve(options.path));
  const name = basename(options.path);
  mkdirSync(directory, { recursive: true });
  const stamp = (time: Date) => time.toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return createStream((time, index) => (time ? `${name}.${stamp(new Date(time))}-${index ?? 1}` : name), {
    path: directory,
    size: options.maxSize as `${number}M`,
    maxFiles: options.keep,
    // Where rotating-file-stream lists the rotated files it keeps (hidden, beside them).
    history: `.${name}.history`,
  });
}

/**
 * The process logger: the config's level, every configured secret scrubbed from each line, and
 * with LOG_FILE every line written to standard output and to the rotated file too.
 */
export function createConfiguredLogger(
  config: SwitchyardConfig,
  destination?: NodeJS.WritableStream,
  level: string = config.logLevel,
): Logger {
  const logFile = config.observability?.logFile;
  const output =
    logFile && !destination
      ? (pino.multistream([
          { stream: process.stdout, level: level as pino.Level },
          { stream: createLogFile(logFile), level: level as pino.Level },
        ]) as unknown as NodeJS.WritableStream)
      : destination;
  return createLogger(level, output, { secrets: scrubberFor(config) });
}
