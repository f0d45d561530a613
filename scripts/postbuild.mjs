// Marks the CLI entry point executable and copies non-TypeScript assets the
// runtime needs (SQL-free; migrations are TypeScript) into dist/.
import { chmodSync, existsSync } from 'node:fs';
const bin = new URL('../dist/cli/bin.js', import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);
