import { describe, expect, it } from 'vitest';
import { makeDocx, makeDocxBomb, makeTextPng } from '../testing/documents';
import { defaultExtractionLimits, extractText } from './extract-text';
import { checkImageSize, imageDimensions } from './image-dimensions';
import { readZipDirectory, verifyZipEntries } from './zip-directory';

const docxType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const limits = { maxUncompressedBytes: 100 * 1024 * 1024, maxEntries: 10_000 };

/** Rewrites the uncompressed size that the central directory gives `name`. */
function understate(zip: Buffer, name: string, size: number): Buffer {
  const copy = Buffer.from(zip);
  const at = copy.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02])]), 0);
  for (let entry = at; entry >= 0; entry = copy.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), entry + 4)) {
    const nameLength = copy.readUInt16LE(entry + 28);
    if (copy.toString('utf8', entry + 46, entry + 46 + nameLength) === name) {
      copy.writeUInt32LE(size, entry + 24);
      return copy;
    }
  }
  throw new Error(`no entry ${name}`);
}

describe('the ZIP directory check', () => {
  it('lists a real DOCX within the limits', async () => {
    const { entries, uncompressedBytes } = readZipDirectory(await makeDocx(['Hello']), limits);
    // JSZip lists the folders too.
    expect(entries.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['[Content_Types].xml', '_rels/.rels', 'word/document.xml']),
    );
    expect(uncompressedBytes).toBeGreaterThan(300);
    expect(uncompressedBytes).toBeLessThan(2_000);
  });

  it('refuses a bomb from its directory alone, and too many entries', async () => {
    const bomb = await makeDocxBomb(200 * 1024 * 1024);
    expect(() => readZipDirectory(bomb, limits)).toThrow(
      expect.objectContaining({ code: 'SY_ERR_FILE_TOO_COMPLEX', status: 422 }),
    );
    expect(() => readZipDirectory(bomb, { ...limits, maxEntries: 2 })).toThrow(/3 entries; at most 2/);
  });

  it('catches a directory that under-states an entry: inflating stops at the declared size', async () => {
    const lying = understate(await makeDocxBomb(20 * 1024 * 1024), 'word/document.xml', 1_000);
    const { entries, uncompressedBytes } = readZipDirectory(lying, limits);
    expect(uncompressedBytes).toBeLessThan(2_000);
    expect(() => verifyZipEntries(lying, entries)).toThrow(
      expect.objectContaining({
        code: 'SY_ERR_FILE_TOO_COMPLEX',
        message: expect.stringMatching(/word\/document\.xml/),
      }),
    );
    await expect(extractText(lying, docxType)).rejects.toMatchObject({ code: 'SY_ERR_FILE_TOO_COMPLEX' });
  });

  it('says a broken archive is unreadable, not too complex', () => {
    expect(() => readZipDirectory(Buffer.from('PK\u0003\u0004 not really a zip'), limits)).toThrow(
      expect.objectContaining({ code: 'SY_ERR_VALIDATION' }),
    );
  });
});

describe('image dimensions from the header', () => {
  it('reads PNG, JPEG, GIF, WebP (lossy, lossless, extended) and BMP', () => {
    const png = makeTextPng('HELLO', 2);
    expect(imageDimensions(png, 'image/png')).toEqual({ width: png.readUInt32BE(16), height: 22 });

    // SOI, an APP0 segment to skip, then SOF0: precision, height, width.
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x3e, 0x80, 0x1f, 0x40, 0x03,
    ]);
    expect(imageDimensions(Buffer.concat([jpeg, Buffer.alloc(16)]), 'image/jpeg')).toEqual({
      width: 8000,
      height: 16000,
    });

    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([0x10, 0x27, 0x20, 0x4e]), Buffer.alloc(8)]);
    expect(imageDimensions(gif, 'image/gif')).toEqual({ width: 10_000, height: 20_000 });

    const riff = (chunk: string, body: Buffer) =>
      Buffer.concat([
        Buffer.from('RIFF'),
        Buffer.alloc(4),
        Buffer.from('WEBP'),
        Buffer.from(chunk),
        Buffer.alloc(4),
        body,
      ]);
    const extended = Buffer.alloc(14);
    extended.writeUIntLE(16_383, 4, 3);
    extended.writeUIntLE(999, 7, 3);
    expect(imageDimensions(riff('VP8X', extended), 'image/webp')).toEqual({ width: 16_384, height: 1_000 });
    const lossless = Buffer.alloc(14);
    lossless[0] = 0x2f;
    lossless.writeUInt32LE((4_999 & 0x3fff) | ((2_999 & 0x3fff) << 14), 1);
    expect(imageDimensions(riff('VP8L', lossless), 'image/webp')).toEqual({ width: 5_000, height: 3_000 });
    const lossy = Buffer.alloc(14);
    lossy.set([0x9d, 0x01, 0x2a], 3);
    lossy.writeUInt16LE(640, 6);
    lossy.writeUInt16LE(480, 8);
    expect(imageDimensions(riff('VP8 ', lossy), 'image/webp')).toEqual({ width: 640, height: 480 });

    const bmp = Buffer.alloc(54);
    bmp.write('BM');
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(30_000, 18);
    bmp.writeInt32LE(-20_000, 22);
    expect(imageDimensions(bmp, 'image/bmp')).toEqual({ width: 30_000, height: 20_000 });
  });

  it('refuses more pixels than the limit, and a truncated header as unreadable', () => {
    const png = makeTextPng('HELLO', 2);
    const pixels = png.readUInt32BE(16) * 22;
    expect(checkImageSize(png, 'image/png', pixels)).toMatchObject({ height: 22 });
    expect(() => checkImageSize(png, 'image/png', pixels - 1)).toThrow(
      expect.objectContaining({ code: 'SY_ERR_FILE_TOO_COMPLEX' }),
    );
    expect(() => imageDimensions(png.subarray(0, 20), 'image/png')).toThrow(
      expect.objectContaining({ code: 'SY_ERR_VALIDATION' }),
    );
  });

  it('refuses a huge image in extractText before OCR starts', async () => {
    const header = makeTextPng('HELLO', 2);
    header.writeUInt32BE(16_000, 16);
    header.writeUInt32BE(16_000, 20);
    await expect(extractText(header, 'image/png', defaultExtractionLimits)).rejects.toMatchObject({
      code: 'SY_ERR_FILE_TOO_COMPLEX',
      message: expect.stringMatching(/16000×16000/),
    });
  });
});
