import { describe, expect, it } from 'vitest';
import { RecordSplitter } from './record-splitter.js';

describe('RecordSplitter', () => {
  it('joins records split across chunks', () => {
    const s = new RecordSplitter('newline');
    expect(s.push(Buffer.from('ab')).map(String)).toEqual([]);
    expect(s.push(Buffer.from('c\nde\n\nf')).map(String)).toEqual(['abc', 'de', '']);
    expect(String(s.flush())).toBe('f');
    expect(s.flush()).toBeNull();
  });

  it('splits on NUL and keeps newlines inside records', () => {
    const s = new RecordSplitter('nul');
    const out = s.push(Buffer.from('a\nb\0c'));
    expect(out.map(String)).toEqual(['a\nb']);
    expect(s.push(Buffer.from('\0')).map(String)).toEqual(['c']);
  });

  it('keeps arbitrary bytes exact', () => {
    const s = new RecordSplitter('newline');
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    expect(s.push(Buffer.concat([bytes, Buffer.from('\n')]))[0]).toEqual(bytes);
  });
});
