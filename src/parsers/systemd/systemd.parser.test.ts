import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParseContext } from '../parser.js';
import { systemdParser } from './systemd.parser.js';

const parse = (text: string, context?: ParseContext) => systemdParser.parse(Buffer.from(text), context);
const CORPUS = new URL('../../../test/fixtures/corpus/systemd/debian/', import.meta.url);
const corpusFiles = readdirSync(CORPUS).sort();

describe('systemd unit syntax', () => {
  it('reads sections, repeated keys as lists and resets on an empty assignment', () => {
    const { data, errors } = parse(
      '[Unit]\nDescription=Web\nAfter=network.target\nAfter=postgresql.service redis.service\n' +
        '[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b --flag\n',
      { path: '/etc/systemd/system/web.service' },
    );
    expect(errors).toEqual([]);
    expect(data?.sections.Unit?.After).toEqual(['network.target', 'postgresql.service redis.service']);
    expect(data?.dependencies.After).toEqual(['network.target', 'postgresql.service', 'redis.service']);
    expect(data?.execStart).toEqual(['/bin/b --flag']);
    expect(data?.name).toBe('web.service');
    expect(data?.unitType).toBe('service');
  });

  it('joins backslash continuations and skips comment lines inside them', () => {
    const { data } = parse('[Service]\nExecStart=/bin/run \\\n  --one \\\n# a comment\n; another\n  --two\n# ExecStart=/nope\n');
    expect(data?.execStart).toEqual(['/bin/run  --one  --two']);
  });

  it('reports lines without "=" and assignments before any section with their line', () => {
    const { errors, data } = parse('Orphan=1\n[Unit]\nnot an assignment\n[Broken\n');
    expect(errors.map((e) => e.line)).toEqual([1, 3, 4]);
    expect(errors[0]?.message).toMatch(/outside of any section/);
    expect(data?.sections).toEqual({ Unit: {} });
  });

  it('derives user, group, environment files and quoted environment variables', () => {
    const { data } = parse(
      '[Service]\nUser=www\nUser=app\nGroup=app\nEnvironmentFile=-/etc/default/app\n' +
        'Environment="A=1 2" B=3\nEnvironment=\'C=x y\'\n[Install]\nWantedBy=multi-user.target\n',
    );
    expect(data?.user).toBe('app');
    expect(data?.group).toBe('app');
    expect(data?.environmentFiles).toEqual(['-/etc/default/app']);
    expect(data?.environment).toEqual({ A: '1 2', B: '3', C: 'x y' });
    expect(data?.dependencies.WantedBy).toEqual(['multi-user.target']);
  });

  it('merges drop-ins sorted by file name, template drop-ins included', () => {
    const files: Record<string, string> = {
      '/etc/systemd/system/app@.service.d/10-user.conf': '[Service]\nUser=template\n',
      '/etc/systemd/system/app@one.service.d/20-exec.conf': '[Service]\nExecStart=\nExecStart=/bin/override\n',
      '/etc/systemd/system/app@one.service.d/05-env.conf': '[Service]\nEnvironment=X=1\n',
    };
    const context: ParseContext = {
      path: '/etc/systemd/system/app@one.service',
      glob: (pattern) => Object.keys(files).filter((f) => f.startsWith(pattern.replace('*.conf', ''))),
      readFile: (path) => (files[path] === undefined ? undefined : Buffer.from(files[path])),
    };
    const { data } = parse('[Service]\nExecStart=/bin/original\nUser=root\n', context);
    expect(data?.dropIns).toEqual([
      '/etc/systemd/system/app@one.service.d/05-env.conf',
      '/etc/systemd/system/app@.service.d/10-user.conf',
      '/etc/systemd/system/app@one.service.d/20-exec.conf',
    ]);
    expect(data?.execStart).toEqual(['/bin/override']);
    expect(data?.user).toBe('template');
    expect(data?.environment).toEqual({ X: '1' });
  });

  it('does not pollute prototypes with a __proto__ section', () => {
    const { data } = parse('[__proto__]\npolluted=yes\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(data?.sections, '__proto__')?.value).toEqual({ polluted: ['yes'] });
  });
});

describe('systemd corpus', () => {
  it(`parses all ${corpusFiles.length} Debian units without errors`, () => {
    expect(corpusFiles.length).toBeGreaterThan(100);
    for (const name of corpusFiles) {
      const result = systemdParser.parse(readFileSync(new URL(name, CORPUS)), { path: `/lib/systemd/system/${name}` });
      expect(result.errors, name).toEqual([]);
      // Masked units are shipped as empty files.
      const empty = readFileSync(new URL(name, CORPUS)).length === 0;
      expect(Object.keys(result.data?.sections ?? {}).length > 0, name).toBe(!empty);
    }
  });
});

describe('systemd bad input', () => {
  it('never throws on random bytes and names a line in every error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const result = systemdParser.parse(Buffer.from(bytes));
        expect(result.errors.every((e) => typeof e.line === 'number' && e.line >= 1)).toBe(true);
      }),
    );
  });

  it('never throws on mutated corpus units', () => {
    const samples = corpusFiles.slice(0, 20).map((name) => readFileSync(new URL(name, CORPUS)));
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (file, at, junk) => {
        const pos = at % (file.length + 1);
        const mutated = Buffer.concat([file.subarray(0, pos), Buffer.from(junk), file.subarray(pos)]);
        expect(systemdParser.parse(mutated).data).not.toBeNull();
      }),
    );
  });

  it('warns about invalid UTF-8 and still parses, and copes with 5 MB of input', () => {
    const result = systemdParser.parse(Buffer.concat([Buffer.from('[Unit]\nDescription=caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(result.warnings[0]?.line).toBe(2);
    expect(result.data?.sections.Unit?.Description).toEqual(['caf\uFFFD']);
    const big = parse(`[Service]\n${'Environment=A=1\n'.repeat(330_000)}`);
    expect(big.data?.sections.Service?.Environment).toHaveLength(330_000);
  });
});
