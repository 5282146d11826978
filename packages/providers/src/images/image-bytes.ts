const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image type from the file's magic bytes, for upstreams that do not say (base64 payloads). */
export function sniffImageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(pngSignature)) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') {
    return 'image/webp';
  }
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  return undefined;
}

/**
 * The declared type when it names an image, else the sniffed one, else PNG
 * (what ComfyUI's SaveImage and OpenAI write by default). A generic
 * `application/octet-stream` from a proxy must not end up in our storage.
 */
export function imageMimeType(contentType: string | undefined, bytes: Buffer): string {
  const declared = contentType?.split(';')[0]?.trim().toLowerCase();
  if (declared?.startsWith('image/')) return declared;
  return sniffImageType(bytes) ?? 'image/png';
}
