import { describe, expect, it } from 'vitest';
import { REDACTED } from '../auth/redact.js';
import { decodeText, diffContents, redactDiff } from './diff.service.js';

const names = { from: 'a', to: 'b' };

describe('diffContents', () => {
  it('produces a unified diff and side-by-side rows pairing changed lines', () => {
    const diff = diffContents(Buffer.from('one\ntwo\nthree\n'), Buffer.from('one\nTWO\nthree\nfour\n'), names);
    expect(diff.binary).toBe(false);
    expect(diff.unified).toContain('-two\n+TWO\n');
    expect(diff.rows).toEqual([
      { kind: 'context', left: { line: 1, text: 'one' }, right: { line: 1, text: 'one' } },
      { kind: 'changed', left: { line: 2, text: 'two' }, right: { line: 2, text: 'TWO' } },
      { kind: 'context', left: { line: 3, text: 'three' }, right: { line: 3, text: 'three' } },
      { kind: 'added', left: null, right: { line: 4, text: 'four' } },
    ]);
    expect([diff.added, diff.removed]).toEqual([2, 1]);
  });

  it('keeps unmatched removals as removed rows', () => {
    const diff = diffContents(Buffer.from('a\nb\nc\n'), Buffer.from('a\nX\n'), names);
    expect(diff.rows.map((r) => r.kind)).toEqual(['context', 'changed', 'removed']);
  });

  it('refuses a line diff for binary or invalid UTF-8 content with a readable message', () => {
    const diff = diffContents(Buffer.from([0x00, 0x01, 0x02]), Buffer.from([0xff, 0xfe]), names);
    expect(diff).toMatchObject({ binary: true, unified: '', rows: [] });
    expect(diff.message).toMatch(/binary content changed \(3 → 2 bytes\)/);
    expect(decodeText(Buffer.from([0xc3, 0x28]))).toBeUndefined();
    expect(decodeText(Buffer.from('héllo'))).toBe('héllo');
  });
});

describe('redactDiff', () => {
  it('redacts secrets in both the unified text and the rows', () => {
    const diff = redactDiff(diffContents(Buffer.from('HOST=a\nDB_PASSWORD=old\n'), Buffer.from('HOST=a\nDB_PASSWORD=new\n'), names));
    expect(diff.unified).not.toMatch(/old|new/);
    expect(diff.unified).toContain(`+DB_PASSWORD=${REDACTED}`);
    expect(diff.rows[1]).toEqual({ kind: 'changed', left: { line: 2, text: `DB_PASSWORD=${REDACTED}` }, right: { line: 2, text: `DB_PASSWORD=${REDACTED}` } });
    expect(diff.rows[0]?.left?.text).toBe('HOST=a');
  });
});
