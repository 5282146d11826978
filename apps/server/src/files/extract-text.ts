import { createRequire } from 'node:module';
// The errors module alone: the whole core package costs the extraction worker seconds to load.
import { SwitchyardError } from '@switchyard/core/errors';
import { docxMimeType } from './file-types';
import { checkImageSize } from './image-dimensions';
import { readZipDirectory, verifyZipEntries } from './zip-directory';

/** Extracted text is capped so one huge document cannot fill the database. */
export const maximumExtractedCharacters = 2_000_000;

/** What one file may cost to read: settings `files.extract.*` (the time and memory limits apply to the worker). */
export interface ExtractionLimits {
  readonly maxUncompressedBytes: number;
  readonly maxEntries: number;
  readonly maxPixels: number;
  readonly maxCharacters: number;
}

export const defaultExtractionLimits: ExtractionLimits = {
  maxUncompressedBytes: 100 * 1024 * 1024,
  maxEntries: 10_000,
  maxPixels: 50_000_000,
  maxCharacters: maximumExtractedCharacters,
};

const unreadable = (what: string, cause: unknown) =>
  new SwitchyardError(
    'SY_ERR_VALIDATION',
    `Could not read the ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
    {
      isRetryable: false,
      cause,
    },
  );

/** Page by page, stopping once the cap is reached: a 10,000-page PDF is not read past what is kept. */
async function pdfText(bytes: Buffer, maxCharacters: number): Promise<string> {
  const { getDocumentProxy } = await import('unpdf');
  try {
    const document = await getDocumentProxy(new Uint8Array(bytes));
    const pages: string[] = [];
    let characters = 0;
    for (let number = 1; number <= document.numPages && characters < maxCharacters; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      // As unpdf's extractText: each item's text, a newline where the line ends.
      const text = content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
      pages.push(text);
      characters += text.length;
      page.cleanup();
    }
    await document.destroy();
    return pages.join('\n').replace(/\s+/g, ' ');
  } catch (error) {
    throw unreadable('PDF', error);
  }
}

/**
 * The ZIP directory is checked (entry count, total unpacked size) and every entry inflated with its
 * declared size as a cap before mammoth sees the bytes, so mammoth never unpacks more than the limit.
 */
async function docxText(bytes: Buffer, limits: ExtractionLimits): Promise<string> {
  const { entries } = readZipDirectory(bytes, limits);
  verifyZipEntries(bytes, entries);
  const mammoth = await import('mammoth');
  try {
    const result = await mammoth.default.extractRawText({ buffer: bytes });
    return result.value;
  } catch (error) {
    throw unreadable('Word document', error);
  }
}

/** The English model ships in @tesseract.js-data/eng: OCR never downloads anything at run time. */
async function imageText(bytes: Buffer, mimeType: string, limits: ExtractionLimits): Promise<string> {
  // From the header alone, before anything decodes the pixels.
  checkImageSize(bytes, mimeType, limits.maxPixels);
  const require = createRequire(import.meta.url);
  const data = require('@tesseract.js-data/eng') as { langPath: string; gzip: boolean };
  const { createWorker, OEM } = await import('tesseract.js');
  const worker = await createWorker('eng', OEM.LSTM_ONLY, {
    langPath: data.langPath,
    gzip: data.gzip,
    // Without this tesseract.js writes a copy of the model into the working directory.
    cacheMethod: 'none',
  });
  try {
    const result = await worker.recognize(bytes);
    return result.data.text;
  } catch (error) {
    throw unreadable('image', error);
  } finally {
    await worker.terminate();
  }
}

/**
 * The text of one file. Runs in the extraction worker (extract-in-worker.ts), never on the API's
 * event loop; the checks here (ZIP directory, image header, the character cap while reading) make
 * a decompression bomb fail fast with SY_ERR_FILE_TOO_COMPLEX instead of being unpacked.
 */
export async function extractText(
  bytes: Buffer,
  mimeType: string,
  limits: ExtractionLimits = defaultExtractionLimits,
): Promise<string> {
  let text: string;
  if (mimeType === 'application/pdf') text = await pdfText(bytes, limits.maxCharacters);
  else if (mimeType === docxMimeType) text = await docxText(bytes, limits);
  else if (mimeType.startsWith('image/')) text = await imageText(bytes, mimeType, limits);
  else if (mimeType.startsWith('text/') || mimeType === 'application/json') {
    // UTF-8 is at most 4 bytes a character: nothing past that many bytes can be kept.
    text = bytes.subarray(0, limits.maxCharacters * 4).toString('utf8');
  } else
    throw new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `No text extractor for ${mimeType}`, {
      isRetryable: false,
    });
  return text.trim().slice(0, limits.maxCharacters);
}

/**
 * The cheap checks of extractText, for the upload itself: they read only the ZIP directory or the
 * image header (microseconds to milliseconds), so a bomb is refused with 422 before it is stored.
 */
export function precheckUpload(bytes: Buffer, mimeType: string, limits: ExtractionLimits): void {
  try {
    if (mimeType === docxMimeType) readZipDirectory(bytes, limits);
    else if (mimeType.startsWith('image/')) checkImageSize(bytes, mimeType, limits.maxPixels);
  } catch (error) {
    // Only "too big" refuses the upload; a header that cannot be read fails the job with its reason.
    if (error instanceof SwitchyardError && error.code === 'SY_ERR_FILE_TOO_COMPLEX') throw error;
  }
}
