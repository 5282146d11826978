import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type Rollup, type UserConfig } from 'vite';

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

/**
 * Pages whose code the server names in the page itself, by address: `/chat` is answered with
 * chat.html, index.html plus a `<link rel="modulepreload">` for each chunk the chat page needs beyond
 * the app's entry. The browser then fetches them while it parses the document, alongside the entry,
 * instead of once the entry has run and the router asked for the page (they used to arrive with, and
 * queue behind, the page's first API requests). web-app-routes.ts serves <name>.html for /<name>.
 */
const pageShells: Record<string, string> = { chat: 'src/pages/Chat.tsx' };

const compileHint = '//# allFunctionsCalledOnLoad\n';

/** The app's entry chunk (index.html's script: React, the router, the shell), not boot.ts's. */
function entryChunks(bundle: Rollup.OutputBundle): string[] {
  return Object.values(bundle)
    .filter((output) => output.type === 'chunk' && output.isEntry && output.name === 'index')
    .map((output) => output.fileName);
}

function pageShellsPlugin(): Plugin {
  const hinted = new Set<string>();
  return {
    name: 'switchyard-page-shells',
    enforce: 'post',
    // V8's explicit compile hint on the files of the chat page's first render: every function of such a
    // file is compiled eagerly, on a background thread while the file streams in, instead of lazily on
    // the main thread when the first render first calls it (React, the router, the page, Markdown: most
    // of their code runs on that render). Written into the files once they are on disk: Vite's own last
    // step still puts code before the first line, and a minifier drops comments. Hashed names stay
    // those of the content without it.
    async writeBundle(options) {
      for (const fileName of hinted) {
        const path = join(options.dir ?? 'dist', fileName);
        const code = await readFile(path, 'utf8');
        if (!code.startsWith(compileHint)) await writeFile(path, compileHint + code);
      }
    },
    generateBundle(_options, bundle) {
      hinted.clear();
      const index = bundle['index.html'];
      if (index?.type !== 'asset') return;
      const html = String(index.source);
      const chunks = Object.values(bundle).filter((output): output is Rollup.OutputChunk => output.type === 'chunk');
      for (const [name, source] of Object.entries(pageShells)) {
        const page = chunks.find((chunk) => chunk.isDynamicEntry && chunk.facadeModuleId?.endsWith(source));
        if (!page) throw new Error(`the ${source} chunk was not built`);
        const needed: string[] = [];
        const visit = (fileName: string) => {
          if (needed.includes(fileName)) return;
          needed.push(fileName);
          const chunk = bundle[fileName];
          if (chunk?.type === 'chunk') for (const imported of chunk.imports) visit(imported);
        };
        visit(page.fileName);
        for (const fileName of [...needed, ...entryChunks(bundle)]) hinted.add(fileName);
        const links = needed
          .filter((fileName) => !html.includes(`"/${fileName}"`))
          .map((fileName) => `    <link rel="modulepreload" crossorigin href="/${fileName}">\n`)
          .join('');
        this.emitFile({
          type: 'asset',
          fileName: `${name}.html`,
          source: html.replace('  </head>', `${links}  </head>`),
        });
      }
    },
  };
}

/**
 * `vite build --ssr src/first-screen.tsx`: the chat page's first screen for the server to draw
 * (first-screen.tsx), one self-contained file in dist-server/ (not dist/, which is served as is). Its
 * packages are bundled in, so the server needs nothing of the web app's at run time; the lazily
 * loaded parts the server never draws (diagrams, math) stay out.
 */
const firstScreenBuild: UserConfig = {
  plugins: [react()],
  ssr: { noExternal: true },
  // React's production build whatever the server's NODE_ENV (its development build renders several times slower).
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'dist-server',
    emptyOutDir: true,
    minify: true,
    copyPublicDir: false,
    rollupOptions: {
      external: ['mermaid', 'rehype-katex', /^katex/],
      output: { entryFileNames: 'first-screen.js' },
    },
  },
};

export default defineConfig(({ isSsrBuild }) => (isSsrBuild ? firstScreenBuild : clientBuild));

const clientBuild = defineConfig({
  plugins: [react(), tailwindcss(), bootFirst(), pageShellsPlugin()],
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
      // Fewer, larger files on the way to the first render (a browser opens six connections to a host,
      // the rest wait): boot.ts keeps early-requests.ts in its own file (the entry imports it from
      // there: one module, the early requests' map), everything the entry loads statically is one
      // file instead of an entry plus the common chunks shared with the pages, and the small modules
      // the chat page shares with others are one file, not three.
      output: {
        codeSplitting: {
          groups: [
            { name: 'boot', test: /src[\\/](boot|lib[\\/]early-requests)\.ts$/, priority: 3 },
            { name: 'index', tags: ['$initial'], priority: 2 },
            {
              name: 'shared',
              test: /src[\\/](lib[\\/](apps|files)\.ts|components[\\/]MarkdownImage\.tsx)$/,
              priority: 1,
            },
          ],
        },
      },
    },
  },
});
