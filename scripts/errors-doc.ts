/** Regenerates docs/errors.md from src/errors.ts: `npx tsx scripts/errors-doc.ts`. */
import { writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../src/errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, s]) => `| \`${code}\` | ${s.status} | ${s.exit} | ${s.doc} |`);
  return [
    '# Error codes',
    '',
    'Every error confwatch reports on purpose has a stable code. The API answers `{"error": {"code", "message"}}` with the HTTP status below; the CLI prints the message on stderr and exits with the exit code below. Codes are never reused.',
    '',
    '| code | HTTP | exit | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
}
