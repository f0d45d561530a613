import { describe, expect, it } from 'vitest';
import { parseChangesFile } from './changes-file.js';

const files: Record<string, Buffer> = { 'app.conf': Buffer.from('server {}\n') };
const read = (name: string): Buffer => {
  const found = files[name];
  if (!found) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return found;
};
const parse = (text: string) => parseChangesFile(text, 'changes.yaml', read);

describe('changes file', () => {
  it('reads every source kind, defaults and octal modes', () => {
    const parsed = parse(`changes:
  - device: web1
    path: /etc/a.conf
    content: "x\\n"
    mode: "0640"
  - device: web1
    path: /etc/b.conf
    contentFile: app.conf
    mode: 0600
  - device: web2
    path: /etc/c.conf
    snapshot: 01ABC
  - device: web2
    path: /etc/d.conf
    delete: true
    expectHash: ${'a'.repeat(64)}
`);
    expect(parsed.validate).toBe(true);
    expect(parsed.reload).toBe(false);
    expect(parsed.changes.map((c) => c.source.kind)).toEqual(['content', 'content', 'snapshot', 'delete']);
    expect(parsed.changes.map((c) => c.mode)).toEqual([0o640, 0o600, undefined, undefined]);
    expect(parsed.changes[1]!.source).toEqual({ kind: 'content', content: files['app.conf'] });
    expect(parsed.changes.map((c) => c.line)).toEqual([2, 6, 10, 13]);
  });

  it('names the file and the line of a bad entry', () => {
    const bad = (text: string) => {
      try {
        parse(text);
      } catch (e) {
        return (e as Error & { code: string }).code === 'CW_ERR_INPUT' ? (e as Error).message : `wrong code: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(bad('changes:\n  - device: a\n    path: /x\n  - device: b\n    path: /y\n    content: z\n    delete: true\n')).toMatch(/^changes\.yaml:2: give exactly one/);
    expect(bad('changes:\n  - device: a\n    path: relative\n    content: z\n')).toMatch(/^changes\.yaml:2: path must be an absolute path/);
    expect(bad('changes:\n  - device: a\n    path: /x\n    contentFile: nope.conf\n')).toMatch(/^changes\.yaml:2: cannot read contentFile nope\.conf: ENOENT/);
    expect(bad('changes:\n  - device: a\n    path: /x\n    content: z\n    expectHash: abc\n')).toMatch(/expectHash must be 64/);
    expect(bad('validate: maybe\nchanges:\n  - {device: a, path: /x, delete: true}\n')).toMatch(/^changes\.yaml:1: validate must be true or false/);
    expect(bad('changes: []\n')).toMatch(/non-empty list/);
    expect(bad('changes:\n  - device: a\n    path: /x\n    content: [1\n')).toMatch(/^changes\.yaml:\d+: /);
  });
});
