// Replaces dist/cli/bin.js (tsc's output) with one esbuild bundle of the CLI.
//
// Why: unbundled, every `confwatch` invocation resolves and links ~820 ES
// modules (kysely alone ships 263), about 1.1 s before any work on a quiet
// machine; the bundle starts in about 0.65 s. The rest of dist/ stays as tsc
// wrote it: worker threads (analysis, templates) load their own entries from
// there, and so do tests and the library API.
//
// A bundled module no longer sits where tsc put it, so `import.meta.url` would
// point at the bundle. Each module that reads it gets its own tsc location
// instead, which keeps every path it derives (worker entries, the compose
// schema, the web UI root) exactly as it was.
//
// Native addons and packages that locate files beside themselves at run time
// (pino's transport threads, ssh2's optional native crypto) stay external and
// load from node_modules through a real `require`.
import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/cli/bin.js`;

const EXTERNAL = [
  'better-sqlite3',
  '@node-rs/argon2',
  'ssh2',
  'cpu-features',
  'pg-native',
  'pino',
  'pino-pretty',
  'thread-stream',
  'nodemailer',
  'tsx',
];

/** Gives each source module that reads `import.meta.url` the URL of its tsc output. */
const keepModuleLocations = {
  name: 'keep-module-locations',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const emitted = `${root}dist/${relative(`${root}src`, args.path).replace(/\.ts$/, '.js')}`;
      const fromBundle = relative(dirname(outfile), emitted);
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

await build({
  entryPoints: [`${root}src/cli/bin.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  plugins: [keepModuleLocations],
  // CommonJS packages inside an ES bundle still call `require` for Node's own modules.
  banner: {
    js: "import { createRequire as __confwatchRequire } from 'node:module';\nconst require = __confwatchRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
