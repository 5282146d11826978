/**
 * How many streams a run can hold and how to spread them over processes, from the open-files
 * limit (the same soft and hard limit for every process here; it cannot be raised in this container).
 */

/** Descriptors each process keeps for everything else (node itself, logs, pipes, database pools). */
export const descriptorReserve = 1000;

/**
 * Streams one gateway process can hold: it needs a client socket and an upstream socket per stream,
 * so ~limit/2, rounded down to a multiple of `step`.
 */
export function streamsPerGatewayProcess(openFilesLimit: number, step = 500): number {
  if (!Number.isFinite(openFilesLimit)) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor((openFilesLimit - descriptorReserve) / 2 / step) * step);
}

/**
 * Streams a gateway of `processes` processes can hold when connections are spread evenly over them
 * (a clustered server: the primary hands each accepted connection to one worker in turn).
 */
export function gatewayStreamCapacity(openFilesLimit: number, processes: number, step = 500): number {
  return streamsPerGatewayProcess(openFilesLimit, step) * Math.max(1, processes);
}

/**
 * Splits `total` streams over as few client processes as keep each within `maxPerProcess`
 * (a client holds one descriptor per stream), as evenly as possible: [5000, 5000], not [9000, 1000].
 */
export function splitStreams(total: number, maxPerProcess: number): number[] {
  if (total <= 0) return [];
  if (maxPerProcess <= 0) throw new Error('maxPerProcess must be positive');
  const processes = Math.ceil(total / maxPerProcess);
  const base = Math.floor(total / processes);
  const extra = total - base * processes;
  return Array.from({ length: processes }, (_, index) => base + (index < extra ? 1 : 0));
}

/** Streams per client process: a client needs one descriptor per stream, and 5,000 keeps one event loop responsive. */
export function clientStreamLimit(openFilesLimit: number): number {
  return Math.min(5000, Number.isFinite(openFilesLimit) ? openFilesLimit - descriptorReserve : 5000);
}
