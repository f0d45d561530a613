import { describe, expect, it } from 'vitest';
import { ResponseParser } from './framed-shell.js';

describe('ResponseParser bounds', () => {
  const ready = (parser: ResponseParser) => parser.push(Buffer.from('banner\nCWREADY t\n'));

  it('reassembles a frame within the limit', () => {
    const parser = new ResponseParser('t', { maxFrameBytes: 10 });
    ready(parser);
    expect(parser.push(Buffer.from('CW 1 0 3 2 0\nabcde'))).toEqual([{ id: 1, code: 0, stdout: Buffer.from('abc'), stderr: Buffer.from('de'), sudoRefused: false }]);
  });

  it('refuses a header announcing more than the limit instead of buffering it', () => {
    const parser = new ResponseParser('t', { maxFrameBytes: 10 });
    ready(parser);
    expect(() => parser.push(Buffer.from('CW 1 0 99999999999 0 0\n'))).toThrow(expect.objectContaining({ code: 'CW_ERR_REMOTE_OUTPUT_TOO_LARGE' }));
  });

  it('refuses an endless header line and keeps only the tail of an endless banner', () => {
    const parser = new ResponseParser('t');
    ready(parser);
    expect(() => parser.push(Buffer.alloc(1_000, 0x41))).toThrow(/malformed/);
    const waiting = new ResponseParser('t');
    for (let i = 0; i < 100; i++) expect(waiting.push(Buffer.alloc(10_000, 0x42))).toEqual([]);
    expect(waiting.push(Buffer.from('CWREADY t\nCW 2 1 0 0 0\n'))).toEqual([{ id: 2, code: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), sudoRefused: false }]);
  });
});
