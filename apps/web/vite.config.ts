import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const api = process.env.SWITCHYARD_API ?? 'http://127.0.0.1:8080';
const proxy = Object.fromEntries(
  ['/v1', '/api', '/openapi.json', '/docs', '/ready', '/health'].map((path) => [path, { target: api }]),
);

/**
 * src/boot.ts is an entry of its own, loaded first by index.html: a few hundred bytes that start the
 * first requests (early-requests.ts) while the app's code downloads. `async`: it runs as soon as it
 * arrives, not after the document is parsed (theme.js, a blocking script, would hold it back). In index.html itself Vite would
 * fold it into the app's entry, so it is added here: the source in dev, its built chunk in a build.
 */
function bootFirst(): Plugin {
  return {
    name: 'switchyard-boot-first',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        const built = Object.values(context.bundle ?? {}).find(
          (output) => output.type === 'chunk' && output.isEntry && output.name === 'boot',
        );
        if (context.bundle && !built) throw new Error('the boot entry was not built');
        return [
          {
            tag: 'script',
            attrs: {
              type: 'module',
              async: true,
              crossorigin: true,
              src: built ? `/${built.fileName}` : '/src/boot.ts',
            },
            injectTo: 'head-prepend',
          },
        ];
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), bootFirst()],
  server: { proxy },
  // Pages are split (App.tsx loads Chat and Admin lazily), so Vite's default 500 kB chunk warning stays on.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        boot: fileURLToPath(new URL('src/boot.ts', import.meta.url)),
      },
    },
  },
});
