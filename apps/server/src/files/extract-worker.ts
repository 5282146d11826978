// The errors module alone: the whole core package costs the extraction worker seconds to load.
import { SwitchyardError } from '@switchyard/core/errors';
import { type ExtractionLimits, extractText } from './extract-text';

/**
 * The extraction worker: a child process (see extract-in-worker.ts) that receives one
 * ExtractionRequest over IPC, reads the file's text with extractText, sends one ExtractionReply
 * back and exits. Its heap is capped with --max-old-space-size; past it V8 ends this process, not
 * the server.
 */
export interface ExtractionRequest {
  readonly bytes: Uint8Array;
  readonly mimeType: string;
  readonly limits: ExtractionLimits;
}

export type ExtractionReply =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly code: string | null; readonly message: string };

async function reply(request: ExtractionRequest): Promise<ExtractionReply> {
  try {
    const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    return { ok: true, text: await extractText(bytes, request.mimeType, request.limits) };
  } catch (error) {
    return {
      ok: false,
      code: error instanceof SwitchyardError ? error.code : null,
      message: error instanceof Error ? error.message : String(error),
    };
  }
}

// The server went away (or ended us): nothing is left to answer.
process.once('disconnect', () => process.exit(0));
process.once('message', async (request: ExtractionRequest) => {
  const answer = await reply(request);
  process.send?.(answer, () => process.exit(0));
});
