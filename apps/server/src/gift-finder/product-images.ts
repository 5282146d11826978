import { isSwitchyardError, SwitchyardError } from '@switchyard/core';
import { createSafeFetcher, type HostResolver, type SafeFetcher } from '../infrastructure/safe-fetch';

/** The raster formats served, told apart by their first bytes (the upstream's Content-Type is not trusted). */
export type ImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/avif';

/** What the bytes are, or null when they are not one of the served formats (SVG, HTML, anything else). */
export function sniffImageType(bytes: Buffer): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'image/png';
  }
  const head = bytes.subarray(0, 12).toString('latin1');
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'image/gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'image/webp';
  if (head.slice(4, 8) === 'ftyp' && ['avif', 'avis'].includes(head.slice(8, 12))) return 'image/avif';
  return null;
}

export interface ProxiedImage {
  readonly body: Buffer;
  readonly contentType: ImageType;
}

export interface ProductImageProxyOptions {
  /** Private networks reached anyway (`builtinApps.web.allowedNetworks`); metadata addresses never. */
  readonly allowedNetworks?: readonly string[];
  /** For the whole fetch, redirects included. Default 10 s. */
  readonly timeoutMs?: number;
  /** Largest image served; a larger one is refused. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Bytes of images kept in memory (least recently used go first). Default 64 MiB; 0: no cache. */
  readonly cacheBytes?: number;
  readonly userAgent?: string;
  /** Test hook: the fetcher's name resolver. */
  readonly resolve?: HostResolver;
}

export const defaultProductImageMaxBytes = 5 * 1024 * 1024;

function refused(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_IMAGE_REFUSED', message, { isRetryable: false });
}

/**
 * Fetches product images for the web page, whose Content-Security-Policy loads images from its own
 * origin only. Callers pass only URLs a marketplace gave for a product the caller may see; this
 * fetches them through the SSRF-safe fetcher, serves only JPEG, PNG, GIF, WebP and AVIF (by their
 * bytes), refuses anything over the size limit, and keeps recent images in a bounded LRU cache.
 */
export function createProductImageProxy(options: ProductImageProxyOptions) {
  const maxBytes = options.maxBytes ?? defaultProductImageMaxBytes;
  const cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
  // Public addresses only, each redirect checked again, the body cut (and so refused) past maxBytes.
  const fetcher: SafeFetcher = createSafeFetcher({
    allowedNetworks: options.allowedNetworks ?? [],
    maxBytes,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  // A Map iterates in insertion order: re-inserting on a hit makes the first entry the least recently used.
  const cache = new Map<string, ProxiedImage>();
  let cachedBytes = 0;

  function remember(url: string, image: ProxiedImage): void {
    if (image.body.length > cacheBytes) return;
    cache.set(url, image);
    cachedBytes += image.body.length;
    for (const [key, entry] of cache) {
      if (cachedBytes <= cacheBytes) break;
      cache.delete(key);
      cachedBytes -= entry.body.length;
    }
  }

  async function fetchImage(url: string, signal?: AbortSignal): Promise<ProxiedImage> {
    let result: Awaited<ReturnType<SafeFetcher['get']>>;
    try {
      result = await fetcher.get(url, {
        accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9',
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (isSwitchyardError(error) && (error.code === 'SY_ERR_UNSAFE_URL' || error.code === 'SY_ERR_VALIDATION')) {
        throw refused(`The product's image is not fetched: ${error.message}`);
      }
      throw error;
    }
    if (result.status < 200 || result.status >= 300) {
      throw new SwitchyardError('SY_ERR_UPSTREAM', `The image's host answered ${result.status}`, {
        isRetryable: result.status >= 500,
      });
    }
    if (result.truncated) throw refused(`The product's image is larger than ${maxBytes} bytes`);
    const declared = result.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (declared !== '' && !declared.startsWith('image/')) {
      throw refused(`The product's image is not an image (${declared.slice(0, 100)})`);
    }
    const contentType = sniffImageType(result.body);
    if (!contentType) {
      throw refused("The product's image is not a JPEG, PNG, GIF, WebP or AVIF image (SVG is not served)");
    }
    return { body: result.body, contentType };
  }

  return {
    /** The image at `url` (from the cache when fetched before); SY_ERR_IMAGE_REFUSED, SY_ERR_UPSTREAM* otherwise. */
    async get(url: string, signal?: AbortSignal): Promise<ProxiedImage> {
      const hit = cache.get(url);
      if (hit) {
        cache.delete(url);
        cache.set(url, hit);
        return hit;
      }
      const image = await fetchImage(url, signal);
      if (cacheBytes > 0) remember(url, image);
      return image;
    },
    close: () => fetcher.close(),
  };
}

export type ProductImageProxy = ReturnType<typeof createProductImageProxy>;
