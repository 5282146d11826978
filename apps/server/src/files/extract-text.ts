import { createRequire } from 'node:module';
import { SwitchyardError } from '@switchyard/core';
import { docxMimeType } from './file-types';

/** Extracted text is capped so one huge document cannot fill the database. */
export const maximumExtractedCharacters = 2_000_000;

const unreadable = (what: string, cause: unknown) =>
  new SwitchyardError(
    'SY_ERR_VALIDATION',
    `Could not read the ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
    {
      isRetryable: false,
      cause,
    },
  );

async function pdfText(bytes: Buffer): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  try {
    const document = await getDocumentProxy(new Uint8Array(bytes));
    const { text } = await extractText(document, { mergePages: true });
    return text;
  } catch (error) {
    throw unreadable('PDF', error);
  }
}

async function docxText(bytes: Buffer): Promise<string> {
  const mammoth = await import('mammoth');
  try {
    const result = await mammoth.default.extractRawText({ buffer: bytes });
    return result.value;
  } catch (error) {
    throw unreadable('Word document', error);
  }
}

/** The English model ships in @tesseract.js-data/eng: OCR never downloads anything at run time. */
async function imageText(bytes: Buffer): Promise<string> {
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

export async function extractText(bytes: Buffer, mimeType: string): Promise<string> {
  let text: string;
  if (mimeType === 'application/pdf') text = await pdfText(bytes);
  else if (mimeType === docxMimeType) text = await docxText(bytes);
  else if (mimeType.startsWith('image/')) text = await imageText(bytes);
  else if (mimeType.startsWith('text/') || mimeType === 'application/json') text = bytes.toString('utf8');
  else
    throw new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `No text extractor for ${mimeType}`, {
      isRetryable: false,
    });
  return text.trim().slice(0, maximumExtractedCharacters);
}
