import { describe, expect, it } from 'vitest';
import { CONFIG_TYPES } from './parser.js';
import { getParser, parseFile } from './registry.js';

describe('parser registry', () => {
  it('has a parser for every config type, tagged with that type', () => {
    for (const type of CONFIG_TYPES) expect(getParser(type).type).toBe(type);
  });

  it('parses through the parser of the given type', () => {
    const unit = parseFile('systemd', Buffer.from('[Service]\nUser=app\n'));
    expect(unit.data).toMatchObject({ kind: 'systemd-unit', user: 'app' });
    const sshd = parseFile('sshd', Buffer.from('PermitRootLogin no\n'));
    expect(sshd.data).toMatchObject({ kind: 'sshd-config', settings: { permitrootlogin: 'no' } });
    expect(parseFile('generic', Buffer.from('{"a":1}'), { path: 'x.json' }).data).toEqual({ format: 'json', value: { a: 1 } });
    expect(parseFile('compose', Buffer.from('services:\n  web:\n    image: nginx\n')).data).toMatchObject({ kind: 'compose' });
  });
});
