// Marks the CLI entry point executable and copies the non-TypeScript assets
// the runtime loads (the compose JSON schema) into dist/.
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';

const bin = new URL('../dist/cli/bin.js', import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);

const assets = ['parsers/compose/compose-spec.json'];
for (const asset of assets) {
  const from = new URL(`../src/${asset}`, import.meta.url);
  const to = new URL(`../dist/${asset}`, import.meta.url);
  mkdirSync(new URL('.', to), { recursive: true });
  copyFileSync(from, to);
}
