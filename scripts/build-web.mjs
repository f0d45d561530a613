// Builds the web UI (src/web) into dist/web with Vite.
import { existsSync } from 'node:fs';
import { build } from 'vite';

const config = new URL('../src/web/vite.config.ts', import.meta.url);
if (!existsSync(config)) {
  console.error('build-web: src/web/vite.config.ts is missing');
  process.exit(1);
}
await build({ configFile: config.pathname, logLevel: 'warn' });
