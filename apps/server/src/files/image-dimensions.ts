// The errors module alone: the whole core package costs the extraction worker seconds to load.
import { SwitchyardError } from '@switchyard/core/errors';
import { tooComplex } from './zip-directory';

export interface ImageDimensions {
  readonly width: number;
  readonly height: number;
}

const unreadable = (what: string) =>
  new SwitchyardError('SY_ERR_VALIDATION', `Could not read the image: ${what}`, { isRetryable: false });

function png(bytes: Buffer): ImageDimensions | undefined {
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function gif(bytes: Buffer): ImageDimensions | undefined {
  // The logical screen; every frame must lie inside it.
  if (bytes.length < 10) return undefined;
  return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
}

function bmp(bytes: Buffer): ImageDimensions | undefined {
  if (bytes.length < 26) return undefined;
  // BITMAPCOREHEADER (12 bytes) has 16-bit sizes; the later headers 32-bit, height negative for top-down.
  if (bytes.readUInt32LE(14) === 12) return { width: bytes.readUInt16LE(18), height: bytes.readUInt16LE(20) };
  return { width: Math.abs(bytes.readInt32LE(18)), height: Math.abs(bytes.readInt32LE(22)) };
}

function webp(bytes: Buffer): ImageDimensions | undefined {
  if (bytes.length < 30) return undefined;
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: bytes.readUIntLE(24, 3) + 1, height: bytes.readUIntLE(27, 3) + 1 };
  if (chunk === 'VP8 ') return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = bytes.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

/** JPEG: walk the marker segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpeg(bytes: Buffer): ImageDimensions | undefined {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

const readers: Record<string, (bytes: Buffer) => ImageDimensions | undefined> = {
  'image/png': png,
  'image/jpeg': jpeg,
  'image/gif': gif,
  'image/webp': webp,
  'image/bmp': bmp,
};

/**
 * An image's width and height from its header alone: nothing is decoded. Used to refuse a small
 * file that claims a huge canvas (a 249 KB PNG of 16000×16000 decodes to a gigabyte) before OCR.
 */
export function imageDimensions(bytes: Buffer, mimeType: string): ImageDimensions {
  const read = readers[mimeType];
  if (!read) throw unreadable(`no header reader for ${mimeType}`);
  const dimensions = read(bytes);
  if (!dimensions || dimensions.width <= 0 || dimensions.height <= 0) throw unreadable('bad or truncated header');
  return dimensions;
}

/** SY_ERR_FILE_TOO_COMPLEX when the image has more than `maxPixels` pixels. */
export function checkImageSize(bytes: Buffer, mimeType: string, maxPixels: number): ImageDimensions {
  const dimensions = imageDimensions(bytes, mimeType);
  const pixels = dimensions.width * dimensions.height;
  if (pixels > maxPixels) {
    throw tooComplex(
      `The image is ${dimensions.width}×${dimensions.height} (${pixels} pixels); at most ${maxPixels} pixels are read`,
      { width: dimensions.width, height: dimensions.height, maxPixels },
    );
  }
  return dimensions;
}
