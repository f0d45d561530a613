import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParseContext } from '../parser.js';
import { sshdParser } from './sshd.parser.js';

const parse = (text: string, context?: ParseContext) => sshdParser.parse(Buffer.from(text), context);
const CORPUS = new URL('../../../test/fixtures/corpus/sshd/debian/sshd_config', import.meta.url);

describe('sshd_config parser', () => {
  it('matches keywords case-insensitively, keeps the first value and the spelling', () => {
    const { data, warnings } = parse('permitRootLogin no\nPermitRootLogin yes\nPasswordAuthentication=no\nPort 22\nport 2222\n');
    expect(data?.settings).toEqual({ permitrootlogin: 'no', passwordauthentication: 'no', port: ['22', '2222'] });
    expect(data?.keywords.permitrootlogin).toBe('permitRootLogin');
    expect(data?.directives[1]).toMatchObject({ key: 'permitrootlogin', effective: false, line: 2 });
    expect(warnings).toEqual([expect.objectContaining({ line: 2 })]);
  });

  it('collects Match blocks with their criteria and settings', () => {
    const { data } = parse('X11Forwarding no\nMatch User anoncvs Address 10.0.0.0/8\n  X11Forwarding yes\n  ForceCommand cvs server\nMatch all\nBanner /etc/issue\n');
    expect(data?.settings).toEqual({ x11forwarding: 'no' });
    expect(data?.matches).toHaveLength(2);
    expect(data?.matches[0]).toMatchObject({
      criteria: 'User anoncvs Address 10.0.0.0/8',
      conditions: [{ name: 'user', value: 'anoncvs' }, { name: 'address', value: '10.0.0.0/8' }],
      line: 2,
      settings: { x11forwarding: 'yes', forcecommand: 'cvs server' },
    });
    expect(data?.matches[1]?.settings).toEqual({ banner: '/etc/issue' });
  });

  it('follows Include globs relative to /etc/ssh, before the lines after them', () => {
    const files: Record<string, string> = {
      '/etc/ssh/sshd_config.d/50-cloud.conf': 'PasswordAuthentication yes\n',
      '/etc/ssh/sshd_config.d/10-hard.conf': 'PasswordAuthentication no\nbad "quote\n',
    };
    const context: ParseContext = {
      path: '/etc/ssh/sshd_config',
      glob: (pattern) => (pattern === '/etc/ssh/sshd_config.d/*.conf' ? Object.keys(files) : []),
      readFile: (path) => (files[path] === undefined ? undefined : Buffer.from(files[path])),
    };
    const { data, errors } = parse('Include sshd_config.d/*.conf\nPasswordAuthentication maybe\n', context);
    expect(data?.includes).toEqual(['/etc/ssh/sshd_config.d/10-hard.conf', '/etc/ssh/sshd_config.d/50-cloud.conf']);
    expect(data?.settings.passwordauthentication).toBe('no');
    expect(errors).toEqual([{ message: 'Unterminated quote', line: 2, file: '/etc/ssh/sshd_config.d/10-hard.conf' }]);
  });

  it('stops recursive includes and warns when includes cannot be followed', () => {
    const loop: ParseContext = { glob: () => ['/etc/ssh/loop.conf'], readFile: () => Buffer.from('Include loop.conf\n') };
    expect(parse('Include loop.conf\n', loop).errors[0]?.message).toMatch(/nested too deeply/);
    expect(parse('Include x.conf\n').warnings[0]).toMatchObject({ line: 1 });
  });

  it('handles quotes, comments and missing arguments', () => {
    const { data, errors } = parse('Banner "/etc/my banner" # trailing\n# comment\nAuthorizedKeysFile\n');
    expect(data?.settings.banner).toBe('/etc/my banner');
    expect(errors).toEqual([expect.objectContaining({ line: 3 })]);
  });

  it('parses the Debian default config', () => {
    const { data, errors } = sshdParser.parse(readFileSync(CORPUS), { path: '/etc/ssh/sshd_config' });
    expect(errors).toEqual([]);
    expect(data?.settings).toMatchObject({ usepam: 'yes', kbdinteractiveauthentication: 'no', acceptenv: ['LANG LC_*'], subsystem: ['sftp /usr/lib/openssh/sftp-server'] });
  });

  it('never throws on random or mutated input, and errors carry lines', () => {
    const corpus = readFileSync(CORPUS);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (junk, at) => {
        const pos = at % (corpus.length + 1);
        for (const input of [Buffer.from(junk), Buffer.concat([corpus.subarray(0, pos), Buffer.from(junk), corpus.subarray(pos)])]) {
          const result = sshdParser.parse(input);
          expect(result.errors.every((e) => typeof e.line === 'number' && e.line >= 1)).toBe(true);
        }
      }),
    );
    expect(sshdParser.parse(Buffer.from('Port 22\n'.repeat(600_000))).data?.settings.port).toHaveLength(600_000);
  });
});
