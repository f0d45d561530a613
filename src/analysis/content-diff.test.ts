import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { diffContents, MAX_EDIT_LENGTH } from './content-diff.js';

const names = { from: 'a', to: 'b' };
const lines = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} ${i}`).join('\n');

describe('diffContents bounds', () => {
  it('diffs edits under the bound line by line', () => {
    const before = `${lines('same', 8_000)}\n`;
    const after = before.replace('same 10\n', 'other 10\n').replace('same 7000\n', '');
    const diff = diffContents(Buffer.from(before), Buffer.from(after), names);
    expect(diff.message).toBeUndefined();
    expect([diff.added, diff.removed]).toEqual([1, 2]);
    expect(applyPatch(before, diff.unified)).toBe(after);
  });

  // Unbounded, this pair took 8.7 s (Myers is lines × edits); the bound stops it after MAX_EDIT_LENGTH edits.
  // The diff is synchronous, so the bound is checked after the fact, in seconds.
  it('shows two unrelated 8k-line versions as a whole-file replacement, with a message', () => {
    const before = `${lines('alpha', 8_000)}\n`;
    const after = lines('beta', 8_000);
    const started = performance.now();
    const diff = diffContents(Buffer.from(before), Buffer.from(after), names);
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(diff.message).toBe(`diff too large: more than ${MAX_EDIT_LENGTH} lines differ; shown as a whole-file replacement`);
    expect([diff.added, diff.removed]).toEqual([8_000, 8_000]);
    expect(diff.unified).toContain('@@ -1,8000 +1,8000 @@\n-alpha 0\n');
    expect(diff.unified).toContain('+beta 7999\n\\ No newline at end of file\n');
    expect(applyPatch(before, diff.unified)).toBe(after);
    expect(diff.rows[0]).toEqual({ kind: 'removed', left: { line: 1, text: 'alpha 0' }, right: null });
    expect(diff.rows[8_000]).toEqual({ kind: 'added', left: null, right: { line: 1, text: 'beta 0' } });
  });

  it('replaces from and to an empty file with a valid patch', () => {
    const created = diffContents(Buffer.alloc(0), Buffer.from(`${lines('new', 3_000)}\n`), names);
    expect(applyPatch('', created.unified)).toBe(`${lines('new', 3_000)}\n`);
    const emptied = diffContents(Buffer.from(`${lines('old', 3_000)}\n`), Buffer.alloc(0), names);
    expect(applyPatch(`${lines('old', 3_000)}\n`, emptied.unified)).toBe('');
  });
});
