import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { errorCodes, SwitchyardError } from '@switchyard/core';
import type { ExtractionLimits } from './extract-text';
import type { ExtractionReply, ExtractionRequest } from './extract-worker';
import { tooComplex } from './zip-directory';

/** Set by build.mjs (esbuild `define`) in the bundle only. */
declare const SWITCHYARD_BUNDLE: boolean | undefined;

export interface WorkerLimits extends ExtractionLimits {
  /** Wall-clock time before the worker is killed. */
  readonly timeoutMs: number;
  /** The worker's V8 heap limit (--max-old-space-size). */
  readonly memoryMb: number;
}

/**
 * The bundle runs its compiled worker (dist/extract-worker.js, built beside cli.js); the source
 * runs extract-worker.mjs, which loads the TypeScript through tsx. In the bundle, import.meta.url
 * still names this source file (build.mjs rewrites it), so both paths are relative to src/files.
 */
function workerEntry(): string {
  const bundled = typeof SWITCHYARD_BUNDLE !== 'undefined' && SWITCHYARD_BUNDLE;
  return fileURLToPath(
    bundled
      ? new URL('../../dist/extract-worker.js', import.meta.url)
      : new URL('./extract-worker.mjs', import.meta.url),
  );
}

const isKnownCode = (code: string | null): code is keyof typeof errorCodes => code !== null && code in errorCodes;

/**
 * extractText in a child process of its own, so a decompression bomb or a pathological document
 * never blocks the event loop that answers HTTP nor grows its memory: the process has a heap limit
 * (memoryMb) and a time limit (timeoutMs), and either one ends it with 422 SY_ERR_FILE_TOO_COMPLEX.
 * One process per file, killed afterwards, so nothing a document left behind outlives it. (A worker
 * thread's resourceLimits do not survive one huge allocation: V8 then aborts the whole process.)
 */
export function extractInWorker(
  bytes: Buffer,
  mimeType: string,
  limits: WorkerLimits,
  entry: string = workerEntry(),
): Promise<string> {
  const { timeoutMs, memoryMb, ...extraction } = limits;
  const request: ExtractionRequest = { bytes: new Uint8Array(bytes), mimeType, limits: extraction };
  return new Promise<string>((resolve, reject) => {
    const child = fork(entry, [], {
      execArgv: [`--max-old-space-size=${memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Behind the server on the CPU: requests are answered first when the cores are busy.
    try {
      if (child.pid !== undefined) setPriority(child.pid, 10);
    } catch {
      // Not permitted here (some containers): the limits still hold.
    }
    // stderr tells a heap overflow from any other crash. V8 prints its FATAL line first and a native
    // stack trace after it, which can be longer than any tail we keep: look for the line as it passes
    // (with the previous chunk's end, in case a chunk boundary splits it).
    let stderrTail = '';
    let outOfMemory = false;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      const seen = stderrTail + text;
      if (/heap out of memory|Reached heap limit|Fatal process out of memory/i.test(seen)) outOfMemory = true;
      stderrTail = seen.slice(-256);
    });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      outcome();
    };
    const timer = setTimeout(
      () => settle(() => reject(tooComplex(`Reading the file took longer than ${timeoutMs} ms`, { timeoutMs }))),
      timeoutMs,
    );
    child.once('message', (reply: ExtractionReply) =>
      settle(() => {
        if (reply.ok) resolve(reply.text);
        else if (isKnownCode(reply.code))
          reject(new SwitchyardError(reply.code, reply.message, { isRetryable: false }));
        else {
          reject(
            new SwitchyardError('SY_ERR_VALIDATION', `Could not read the file: ${reply.message}`, {
              isRetryable: false,
            }),
          );
        }
      }),
    );
    child.once('error', (error) =>
      settle(() =>
        reject(
          new SwitchyardError('SY_ERR_INTERNAL', `The extraction worker failed: ${error.message}`, { cause: error }),
        ),
      ),
    );
    // stderr is read to its end before 'close', so the out-of-memory message is in by then.
    child.once('close', (code, signal) =>
      settle(() =>
        reject(
          outOfMemory
            ? tooComplex(`Reading the file needed more than ${memoryMb} MiB of memory`, { memoryMb })
            : new SwitchyardError(
                'SY_ERR_INTERNAL',
                `The extraction worker exited (${signal ?? `code ${code}`}) before answering`,
              ),
        ),
      ),
    );
    child.send(request, (error) => {
      if (error)
        settle(() => reject(new SwitchyardError('SY_ERR_INTERNAL', `The extraction worker failed: ${error.message}`)));
    });
  });
}
