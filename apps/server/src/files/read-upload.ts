import { SwitchyardError } from '@switchyard/core';

/**
 * What readUpload needs of a request: the part of a Fastify request that @fastify/multipart adds,
 * written out so this file stays free of framework types (the layering rules).
 */
export interface MultipartRequest {
  readonly headers: { readonly 'content-type'?: string | undefined };
  isMultipart(): boolean;
  parts(options: {
    limits: { fileSize: number };
  }): AsyncIterable<
    | { readonly type: 'field'; readonly fieldname: string; readonly value?: unknown }
    | { readonly type: 'file'; readonly fieldname: string; readonly filename: string; toBuffer(): Promise<Buffer> }
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
  if (!request.isMultipart()) {
    throw new SwitchyardError(
      'SY_ERR_UNSUPPORTED_MEDIA_TYPE',
      `Send the file as multipart/form-data (field "${uploadField}")`,
    );
  }
  if (!boundaryOf(request.headers['content-type'] ?? '')) {
    throw invalid('The multipart Content-Type has no boundary parameter');
  }
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
    if (error instanceof SwitchyardError) throw error;
    const code = errorCode(error);
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      if (options.tooLarge) throw options.tooLarge(maximumBytes);
      throw new SwitchyardError('SY_ERR_PAYLOAD_TOO_LARGE', `Files may be at most ${maximumBytes} bytes`);
    }
    if (code === 'FST_FILES_LIMIT') throw invalid('Send exactly one file per request', error);
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw invalid(
        `The form has too many fields or parts (${code === 'FST_PARTS_LIMIT' ? 'parts' : 'fields'})`,
        error,
      );
    }
    // Busboy's parse errors ("Unexpected end of form", "Malformed part header", a premature close).
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(`The multipart body is malformed or truncated (${reason})`, error);
  }
  if (!upload) {
    throw invalid(
      parts === 0
        ? 'The multipart body has no parts: does its boundary match the Content-Type?'
        : `No file in the request: send it in the field "${uploadField}"`,
    );
  }
  return { upload, fields };
}
