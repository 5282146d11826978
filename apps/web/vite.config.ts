import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.SWITCHYARD_API ?? 'http://127.0.0.1:8080';
const proxy = Object.fromEntries(
  ['/v1', '/api', '/openapi.json', '/docs', '/ready', '/health'].map((path) => [path, { target: api }]),
);

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: { proxy },
  // Pages are split (App.tsx loads Chat and Admin lazily), so Vite's default 500 kB chunk warning stays on.
  build: { outDir: 'dist', emptyOutDir: true },
});
