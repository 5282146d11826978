#!/usr/bin/env node
// Runs the prebuilt bundle (apps/server/dist, `npm run build -w @switchyard/server`) when it was
// built from exactly the sources on disk, and the TypeScript source through tsx's loader
// otherwise: an edited or freshly checked-out tree always runs its current code.
// SWITCHYARD_FROM_SOURCE=1 forces the source.
import { currentBundle } from './current-bundle.js';

const bundle = process.env.SWITCHYARD_FROM_SOURCE === '1' ? null : currentBundle();
if (bundle) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/cli.ts');
}
