/**
 * Builds the web UI into `<repo>/dist/web`, which the server serves
 * (src/api/plugins/web-ui.plugin.ts). JSX goes through Vite's built-in
 * Oxc transform with React's automatic runtime, so no React plugin is
 * needed. During `vite dev`, /api is proxied to a local `confwatch serve`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    // Everything local: no inlined data: URLs that a strict CSP would block.
    assetsInlineLimit: 0,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:7474' } },
});
