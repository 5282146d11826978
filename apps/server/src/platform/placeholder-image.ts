import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { GeneratedImage, ImageProvider, ImageRequest } from '@switchyard/providers';

const crcTable = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, checksum]);
}

/** A solid-colour RGB PNG: enough to prove the image pipeline end to end without a GPU. */
export function solidPng(width: number, height: number, [red, green, blue]: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8);
  header.writeUInt8(2, 9);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x += 1) row.set([red, green, blue], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The built-in `test-image` model, the image counterpart of `echo`: a solid
 * colour derived from the prompt and seed, at the requested size. It lets the
 * embedded defaults exercise quotas, jobs and storage with no image server.
 */
export function createPlaceholderImageProvider(): ImageProvider {
  return {
    specVersion: 1,
    id: 'test-image',
    type: 'comfyui',
    async generate(request: ImageRequest): Promise<GeneratedImage[]> {
      const digest = createHash('sha256')
        .update(`${request.prompt}\u0000${request.seed ?? 0}`)
        .digest();
      const color: [number, number, number] = [digest[0] ?? 0, digest[1] ?? 0, digest[2] ?? 0];
      return [
        { bytes: solidPng(request.width, request.height, color), mimeType: 'image/png', seed: request.seed ?? 0 },
      ];
    },
    async health() {},
    async close() {},
  } as ImageProvider;
}
