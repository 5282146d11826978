// The errors module alone: the whole core package costs the extraction worker seconds to load.
import { SwitchyardError } from '@switchyard/core/errors';

export const docxMimeType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const startsWith = (bytes: Buffer, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, index) => bytes[offset + index] === byte);
const ascii = (text: string) => [...text].map((character) => character.charCodeAt(0));

function isUtf8Text(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const textTypes: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
};

/**
 * The type of an upload, decided by its bytes: the client's Content-Type and
 * file name are never trusted (a PNG named report.pdf is a PNG, an executable
 * named notes.txt is refused). The extension only picks between text flavours.
 */
export function sniffFileType(bytes: Buffer, name: string): string {
  if (startsWith(bytes, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, [0x42, 0x4d])) return 'image/bmp';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    // Zip entry names are stored uncompressed, so a Word document shows its main part's name.
    if (bytes.includes(Buffer.from('word/document.xml'))) return docxMimeType;
    throw new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', 'Zip archives other than .docx are not accepted');
  }
  if (startsWith(bytes, ascii('MZ')) || startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) {
    throw new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', 'Executables are not accepted');
  }
  if (isUtf8Text(bytes)) {
    const extension = name.toLowerCase().split('.').pop() ?? '';
    return textTypes[extension] ?? 'text/plain';
  }
  throw new SwitchyardError(
    'SY_ERR_UNSUPPORTED_MEDIA_TYPE',
    'Accepted files: PDF, DOCX, PNG/JPEG/GIF/WebP/BMP images, and UTF-8 text (txt, md, csv, json)',
  );
}

/**
 * A display name with no path in it: whatever the client sent ("../../etc/passwd",
 * "C:\\x\\y.pdf") becomes a plain file name. Storage keys never use it.
 */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must go
    .replace(/[\u0000-\u001f\u007f"<>:|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return cleaned.length > 0 ? cleaned : 'file';
}
