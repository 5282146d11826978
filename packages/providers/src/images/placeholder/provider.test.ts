import { readSolidPngColor } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createImageProvider } from '../create-image-provider';
import { imageProviderSpecVersion } from '../spec';
import { createPlaceholderImageProvider } from '.';
import { placeholderColor } from './translate';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('placeholder image provider', () => {
  it('is the built-in test-image model of the current spec', () => {
    const provider = createPlaceholderImageProvider();
    expect(provider).toMatchObject({ specVersion: imageProviderSpecVersion, id: 'test-image', type: 'placeholder' });
  });

  it('draws one solid-colour PNG of the requested size, the same for the same prompt and seed', async () => {
    const provider = createPlaceholderImageProvider();
    const [image, ...rest] = await provider.generate({ prompt: 'a blue fox', width: 64, height: 32, seed: 7 });
    expect(rest).toEqual([]);
    expect(image?.mimeType).toBe('image/png');
    expect(image?.seed).toBe(7);
    const bytes = image?.bytes ?? Buffer.alloc(0);
    expect(bytes.subarray(0, 8)).toEqual(pngSignature);
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([64, 32]);
    expect(readSolidPngColor(bytes)).toEqual(placeholderColor({ prompt: 'a blue fox', seed: 7 }));

    const again = await provider.generate({ prompt: 'a blue fox', width: 64, height: 32, seed: 7 });
    expect(again[0]?.bytes).toEqual(bytes);
  });

  it('takes seed 0 when none is given, and another seed or prompt gives another colour', async () => {
    const provider = createPlaceholderImageProvider();
    const [image] = await provider.generate({ prompt: 'a blue fox', width: 8, height: 8 });
    expect(image?.seed).toBe(0);
    expect(readSolidPngColor(image?.bytes ?? Buffer.alloc(0))).toEqual(
      placeholderColor({ prompt: 'a blue fox', seed: 0 }),
    );
    expect(placeholderColor({ prompt: 'a blue fox', seed: 1 })).not.toEqual(placeholderColor({ prompt: 'a blue fox' }));
    expect(placeholderColor({ prompt: 'a red fox' })).not.toEqual(placeholderColor({ prompt: 'a blue fox' }));
  });

  it('is always healthy, closes at once, and is created by the factory', async () => {
    const provider = createImageProvider({ id: 'local-test', type: 'placeholder', baseURL: '' });
    expect(provider).toMatchObject({ id: 'local-test', type: 'placeholder' });
    await expect(provider.health()).resolves.toBeUndefined();
    await expect(provider.close()).resolves.toBeUndefined();
  });
});
