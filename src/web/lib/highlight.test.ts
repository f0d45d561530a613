import { describe, expect, it } from 'vitest';
import { highlightLine } from './highlight.js';

const kinds = (line: string) => highlightLine(line).map((t) => [t.kind, t.text]);

describe('highlightLine', () => {
  it('splits an nginx directive into key, value and comment', () => {
    expect(kinds('    proxy_pass http://app:80; # upstream')).toEqual([
      ['text', '    '],
      ['key', 'proxy_pass'],
      ['punct', ' '],
      ['text', 'http://app:80; '],
      ['comment', '# upstream'],
    ]);
  });

  it('marks YAML keys and quoted strings', () => {
    expect(kinds('  image: "nginx:1.27"')).toEqual([
      ['text', '  '],
      ['key', 'image'],
      ['punct', ':'],
      ['text', ' '],
      ['string', '"nginx:1.27"'],
    ]);
  });

  it('marks INI sections and keeps a # inside quotes as text', () => {
    expect(kinds('[Service]')).toEqual([['section', '[Service]']]);
    expect(kinds("KEY='a # b' ; not a comment")).toEqual([
      ['key', 'KEY'],
      ['punct', '='],
      ['string', "'a # b'"],
      ['text', ' ; not a comment'],
    ]);
  });

  it('treats a whole-line comment as one token', () => {
    expect(kinds('# server {')).toEqual([['comment', '# server {']]);
    expect(kinds('; ini comment')).toEqual([['comment', '; ini comment']]);
  });

  it('always reassembles the line exactly', () => {
    for (const line of ['', '   ', 'a=b', '"unterminated', 'x: [1, 2] # c', '- item: "q\\"x"', '}']) {
      expect(highlightLine(line).map((t) => t.text).join('')).toBe(line);
    }
  });
});
