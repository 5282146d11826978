import { type Logger, type LoggerOptions, pino } from 'pino';

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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: 'switchyard' },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
