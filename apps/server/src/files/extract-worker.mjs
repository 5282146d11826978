// The extraction worker's entry when Switchyard runs from its TypeScript source (vitest, tsx, a
// stale bundle): the child process starts without the parent's loaders, so tsx is registered here.
// The bundle has its own compiled entry, dist/extract-worker.js (see build.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./extract-worker.ts');
