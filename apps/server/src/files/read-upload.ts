import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SwitchyardError } from '@switchyard/core';

/**
 * What readUpload needs of a request: the part of a Fastify request that @fastify/multipart adds,
 * written out so this file stays free of framework types (the layering rules).
 */
export interface MultipartRequest {
  readonly headers: { readonly 'content-type'?: string | undefined };
  isMultipart(): boolean;
  parts(options: { limits: { fileSize: number } }): AsyncIterable<
    | { readonly type: 'field'; readonly fieldname: string; readonly value?: unknown }
    | {
        readonly type: 'file';
        readonly fieldname: string;
        readonly filename: string;
        /** The file's bytes as they arrive; `truncated` once they passed the size limit. */
        readonly file: NodeJS.ReadableStream & { readonly truncated?: boolean };
        toBuffer(): Promise<Buffer>;
      }
  >;
}

/** The one file of an upload: the client's name for it (not yet sanitized) and its bytes. */
export interface Upload {
  readonly fileName: string;
  readonly bytes: Buffer;
}

/** The multipart field the file must come in. */
export const uploadField = 'file';

const invalid = (message: string, cause?: unknown) =>
  new SwitchyardError('SY_ERR_INVALID_MULTIPART', message, { isRetryable: false, cause });

const errorCode = (error: unknown) =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** The boundary parameter of a multipart Content-Type, if any (RFC 2046: 1–70 characters, maybe quoted). */
function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Reads the file of a `multipart/form-data` upload in the field "file", and nothing else. Every way
 * the body can be malformed (no boundary, a boundary the body does not use, a truncated body, a file
 * in another field, no file, more than one) is the client's fault: 400 SY_ERR_INVALID_MULTIPART with
 * a message that says which, never a 500. A file over `maximumBytes` is 413 SY_ERR_PAYLOAD_TOO_LARGE.
 */
export async function readUpload(request: MultipartRequest, maximumBytes: number): Promise<Upload> {
  return (await readUploadForm(request, maximumBytes)).upload;
}

export interface UploadForm {
  readonly upload: Upload;
  /** The text fields, each name with its values in order (`timestamp_granularities[]` may repeat). */
  readonly fields: Readonly<Record<string, readonly string[]>>;
}

export interface UploadFormOptions {
  /** The error for a file over the limit; default 413 SY_ERR_PAYLOAD_TOO_LARGE naming the limit. */
  tooLarge?: (maximumBytes: number) => SwitchyardError;
}

/** readUpload that also keeps the text fields sent around the file (e.g. OpenAI's audio form). */
export async function readUploadForm(
  request: MultipartRequest,
  maximumBytes: number,
  options: UploadFormOptions = {},
): Promise<UploadForm> {
  assertMultipart(request);
  let upload: Upload | undefined;
  const fields: Record<string, string[]> = {};
  let parts = 0;
  try {
    for await (const part of request.parts({ limits: { fileSize: maximumBytes } })) {
      parts += 1;
      if (part.type !== 'file') {
        if (typeof part.value === 'string') fields[part.fieldname] = [...(fields[part.fieldname] ?? []), part.value];
        continue;
      }
      if (part.fieldname !== uploadField) {
        throw invalid(`A file came in the field "${part.fieldname}"; send it in the field "${uploadField}"`);
      }
      upload = { fileName: part.filename, bytes: await part.toBuffer() };
    }
  } catch (error) {
    throw uploadError(error, maximumBytes, options);
  }
  if (!upload) throw noFile(parts);
  return { upload, fields };
}

/** What went wrong reading a multipart body, as the client's error (never a 500). */
function uploadError(error: unknown, maximumBytes: number, options: UploadFormOptions): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const code = errorCode(error);
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(maximumBytes, options);
  if (code === 'FST_FILES_LIMIT') return invalid('Send exactly one file per request', error);
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return invalid(`The form has too many fields or parts (${code === 'FST_PARTS_LIMIT' ? 'parts' : 'fields'})`, error);
  }
  // Busboy's parse errors ("Unexpected end of form", "Malformed part header", a premature close).
  const reason = error instanceof Error ? error.message : String(error);
  return invalid(`The multipart body is malformed or truncated (${reason})`, error);
}

const tooLarge = (maximumBytes: number, options: UploadFormOptions) =>
  options.tooLarge
    ? options.tooLarge(maximumBytes)
    : new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', `Files may be at most ${maximumBytes} bytes`);

const noFile = (parts: number) =>
  invalid(
    parts === 0
      ? 'The multipart body has no parts: does its boundary match the Content-Type?'
      : `No file in the request: send it in the field "${uploadField}"`,
  );

function assertMultipart(request: MultipartRequest): void {
  if (!request.isMultipart()) {
    throw new SwitchyardError(
      'SY_ERR_UNSUPPORTED_MEDIA_TYPE',
      `Send the file as multipart/form-data (field "${uploadField}")`,
    );
  }
  if (!boundaryOf(request.headers['content-type'] ?? '')) {
    throw invalid('The multipart Content-Type has no boundary parameter');
  }
}

/** How many first bytes of a spooled upload are kept in memory: enough to sniff a container and read a WAV header. */
export const uploadHeadBytes = 64 * 1024;

/** An upload written to a temporary file as it arrived, never held whole in memory. */
export interface SpooledUpload {
  readonly fileName: string;
  readonly size: number;
  /** The first bytes (up to `uploadHeadBytes`): for sniffing the type. */
  readonly head: Buffer;
  /** The whole file in memory: for bodies small enough to hold (a synchronous call). */
  read(): Promise<Buffer>;
  /** The file as a stream: for object storage (with `size` as its length). */
  stream(): NodeJS.ReadableStream;
  /** Deletes the temporary file; safe to call more than once. */
  dispose(): Promise<void>;
}

export interface SpooledUploadForm {
  readonly upload: SpooledUpload;
  readonly fields: Readonly<Record<string, readonly string[]>>;
}

/**
 * readUploadForm for large files: the file part is streamed to a temporary file (the size limit
 * still ends the upload at `maximumBytes` with 413), so a 200 MB recording never sits in the heap.
 * The caller disposes of the upload (in a finally block) once it is stored or read.
 */
export async function spoolUploadForm(
  request: MultipartRequest,
  maximumBytes: number,
  options: UploadFormOptions = {},
): Promise<SpooledUploadForm> {
  assertMultipart(request);
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-upload-'));
  const path = join(directory, 'upload');
  const dispose = () => rm(directory, { recursive: true, force: true });
  let upload: SpooledUpload | undefined;
  const fields: Record<string, string[]> = {};
  let parts = 0;
  try {
    for await (const part of request.parts({ limits: { fileSize: maximumBytes } })) {
      parts += 1;
      if (part.type !== 'file') {
        if (typeof part.value === 'string') fields[part.fieldname] = [...(fields[part.fieldname] ?? []), part.value];
        continue;
      }
      if (part.fieldname !== uploadField) {
        throw invalid(`A file came in the field "${part.fieldname}"; send it in the field "${uploadField}"`);
      }
      const heads: Buffer[] = [];
      let size = 0;
      await pipeline(
        part.file,
        async function* (chunks: AsyncIterable<Buffer | string>) {
          for await (const piece of chunks) {
            const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
            if (size < uploadHeadBytes) heads.push(chunk.subarray(0, uploadHeadBytes - size));
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(path, { flags: 'wx' }),
      );
      if (part.file.truncated) throw tooLarge(maximumBytes, options);
      const head = Buffer.concat(heads);
      upload = {
        fileName: part.filename,
        size,
        head,
        read: () => readFile(path),
        stream: () => createReadStream(path),
        dispose,
      };
    }
  } catch (error) {
    await dispose().catch(() => {});
    throw uploadError(error, maximumBytes, options);
  }
  if (!upload) {
    await dispose().catch(() => {});
    throw noFile(parts);
  }
  return { upload, fields };
}
