import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../../scripts/errors-doc.js';
import { ConfwatchError, ERROR_CODES } from '../../src/errors.js';

describe('error registry', () => {
  it('docs/errors.md matches src/errors.ts (regenerate with `npx tsx scripts/errors-doc.ts`)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });

  it('codes follow CW_ERR_<AREA>_<WHAT> and map to HTTP status and exit code', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^CW_ERR_[A-Z]+(_[A-Z]+)*$/);
    const e = new ConfwatchError('CW_ERR_NOT_FOUND', 'unknown device "x"');
    expect([e.statusCode, e.exitCode]).toEqual([404, 2]);
  });
});
