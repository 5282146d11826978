import { inflateRawSync } from 'node:zlib';
// The errors module alone: the whole core package costs the extraction worker seconds to load.
import { SwitchyardError } from '@switchyard/core/errors';

/**
 * Reads a ZIP archive's central directory (the table at its end that lists every entry with its
 * sizes) without inflating anything, so an Office document (DOCX, XLSX, PPTX, ODT: all ZIPs) that
 * would unpack to gigabytes is refused from a few kilobytes of reading. ZIP64 sizes are read from
 * their extra field. See PKWARE APPNOTE.TXT, sections 4.3.12 to 4.3.16.
 */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

export interface ZipLimits {
  /** Sum of the entries' uncompressed sizes. */
  readonly maxUncompressedBytes: number;
  readonly maxEntries: number;
}

const endOfDirectory = 0x06054b50;
const zip64Locator = 0x07064b50;
const zip64EndOfDirectory = 0x06064b50;
const directoryEntry = 0x02014b50;
const localHeader = 0x04034b50;
const stored = 0;
const deflated = 8;

export const tooComplex = (message: string, details?: Record<string, unknown>) =>
  new SwitchyardError('SY_ERR_FILE_TOO_COMPLEX', message, { isRetryable: false, ...(details ? { details } : {}) });

const unreadable = (message: string) =>
  new SwitchyardError('SY_ERR_VALIDATION', `Could not read the archive: ${message}`, { isRetryable: false });

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

function readUInt64(bytes: Buffer, offset: number): number {
  const value = bytes.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw unreadable('a ZIP64 size is out of range');
  return Number(value);
}

/** Where the central directory starts and how many entries it claims, from the (ZIP64) end record. */
function locateDirectory(bytes: Buffer): { offset: number; count: number } {
  // The end record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const earliest = Math.max(0, bytes.length - 22 - 0xffff);
  let end = -1;
  for (let at = bytes.length - 22; at >= earliest; at--) {
    if (bytes.readUInt32LE(at) === endOfDirectory) {
      end = at;
      break;
    }
  }
  if (end < 0) throw unreadable('no end of central directory record');
  let count = bytes.readUInt16LE(end + 10);
  let offset = bytes.readUInt32LE(end + 16);
  if ((count === 0xffff || offset === 0xffffffff) && end >= 20 && bytes.readUInt32LE(end - 20) === zip64Locator) {
    const record = readUInt64(bytes, end - 20 + 8);
    if (record + 56 > bytes.length || bytes.readUInt32LE(record) !== zip64EndOfDirectory) {
      throw unreadable('bad ZIP64 end of central directory record');
    }
    count = readUInt64(bytes, record + 32);
    offset = readUInt64(bytes, record + 48);
  }
  return { offset, count };
}

/** The sizes of a ZIP64 entry are in its extra field (id 0x0001), in this order, only where the 32-bit field is all ones. */
function zip64Sizes(extra: Buffer, uncompressed: number, compressed: number) {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const take = () => {
        if (field + 8 > at + 4 + size) throw unreadable('short ZIP64 extra field');
        const value = readUInt64(extra, field);
        field += 8;
        return value;
      };
      const realUncompressed = uncompressed === 0xffffffff ? take() : uncompressed;
      const realCompressed = compressed === 0xffffffff ? take() : compressed;
      return { uncompressed: realUncompressed, compressed: realCompressed };
    }
    at += 4 + size;
  }
  throw unreadable('a ZIP64 entry has no ZIP64 extra field');
}

/**
 * The central directory's entries. Stops with SY_ERR_FILE_TOO_COMPLEX as soon as the entry count or
 * the running sum of uncompressed sizes passes the limits, so a directory of millions of entries
 * costs no more than `maxEntries` steps.
 */
export function readZipDirectory(bytes: Buffer, limits: ZipLimits): { entries: ZipEntry[]; uncompressedBytes: number } {
  const { offset, count } = locateDirectory(bytes);
  if (count > limits.maxEntries) {
    throw tooComplex(`The archive has ${count} entries; at most ${limits.maxEntries} are unpacked`, {
      entries: count,
      maxEntries: limits.maxEntries,
    });
  }
  const entries: ZipEntry[] = [];
  let uncompressedBytes = 0;
  let at = offset;
  while (at + 46 <= bytes.length && bytes.readUInt32LE(at) === directoryEntry) {
    if (entries.length >= limits.maxEntries) {
      throw tooComplex(`The archive has more than ${limits.maxEntries} entries`, { maxEntries: limits.maxEntries });
    }
    const method = bytes.readUInt16LE(at + 10);
    let compressedSize = bytes.readUInt32LE(at + 20);
    let uncompressedSize = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    let localHeaderOffset = bytes.readUInt32LE(at + 42);
    const nameEnd = at + 46 + nameLength;
    if (nameEnd + extraLength > bytes.length) throw unreadable('truncated central directory');
    const name = bytes.toString('utf8', at + 46, nameEnd);
    if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      const extra = bytes.subarray(nameEnd, nameEnd + extraLength);
      const sizes = zip64Sizes(extra, uncompressedSize, compressedSize);
      uncompressedSize = sizes.uncompressed;
      compressedSize = sizes.compressed;
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number.MAX_SAFE_INTEGER;
    }
    uncompressedBytes += uncompressedSize;
    if (uncompressedBytes > limits.maxUncompressedBytes) {
      throw tooComplex(
        `The archive unpacks to more than ${mib(limits.maxUncompressedBytes)} (the entries listed so far add up to ${mib(uncompressedBytes)})`,
        { maxUncompressedBytes: limits.maxUncompressedBytes },
      );
    }
    entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset });
    at = nameEnd + extraLength + commentLength;
  }
  return { entries, uncompressedBytes };
}

/**
 * Inflates every entry with its declared size as a hard cap (zlib's maxOutputLength), so an archive
 * whose directory under-states its sizes is caught too: the parser that reads it later trusts the
 * stream, not the directory. Run off the event loop (in the extraction worker).
 */
export function verifyZipEntries(bytes: Buffer, entries: readonly ZipEntry[]): void {
  for (const entry of entries) {
    const at = entry.localHeaderOffset;
    if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== localHeader) {
      throw unreadable(`no local header for ${entry.name}`);
    }
    const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
    const data = bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === stored) {
      if (entry.compressedSize !== entry.uncompressedSize) throw unreadable(`bad sizes for ${entry.name}`);
      continue;
    }
    if (entry.method !== deflated) throw unreadable(`${entry.name} uses compression method ${entry.method}`);
    try {
      // zlib stops and throws as soon as the output would pass the cap: nothing larger is ever allocated.
      inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw tooComplex(`${entry.name} unpacks to more than the ${entry.uncompressedSize} bytes its directory says`);
      }
      throw unreadable(`${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
