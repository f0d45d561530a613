/**
 * The effective sshd configuration the sshd rules judge, compared with
 * what the real `sshd -T` prints for each fixture: the global settings,
 * and for connections that hit `Match` blocks (`-C user=…,host=…,addr=…`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SSHD_DEFAULTS, type SshdConnection, sshdEffective } from '../../src/compliance/sshd-effective.js';
import type { SshdConfigData } from '../../src/parsers/sshd/sshd.parser.js';
import { COMPLIANCE_FIXTURES, loadFixture } from '../helpers/compliance-fixtures.js';
import { describeWithSshd, sshdPath } from '../helpers/sshd.js';

const fixtures = readdirSync(join(COMPLIANCE_FIXTURES, 'sshd')).filter((f) => f.endsWith('.sshd_config'));
const connections: SshdConnection[] = [
  { user: 'root', host: 'backup.example.org', addr: '10.9.3.4' },
  { user: 'root', host: 'laptop.example.org', addr: '192.168.1.20' },
  { user: 'deploy', host: 'ci.example.org', addr: '10.1.0.5' },
];

const dir = mkdtempSync(join(tmpdir(), 'cw-sshd-t-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `sshd -T` output as keyword → value, for the keywords the rules read. */
function sshdT(file: string, connection?: SshdConnection): Record<string, string> {
  const args = ['-T', '-f', file, ...(connection ? ['-C', `user=${connection.user},host=${connection.host},addr=${connection.addr}`] : [])];
  const out = execFileSync(sshdPath() ?? 'sshd', args, { encoding: 'utf8' });
  const settings: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    if (key in SSHD_DEFAULTS) settings[key] ??= line.slice(space + 1);
  }
  return settings;
}

const pick = (all: Record<string, string>): Record<string, string> => Object.fromEntries(Object.keys(SSHD_DEFAULTS).map((k) => [k, all[k]!]));

describeWithSshd('sshd effective configuration against sshd -T', () => {
  it.each(fixtures)('%s: global settings match', (name) => {
    const fixture = loadFixture(`sshd/${name}`);
    const file = join(dir, name);
    writeFileSync(file, fixture.text);
    expect(pick(sshdEffective(fixture.parsed as SshdConfigData))).toEqual(sshdT(file));
  });

  it.each(fixtures)('%s: settings for connections hitting Match blocks match', (name) => {
    const fixture = loadFixture(`sshd/${name}`);
    const file = join(dir, `match-${name}`);
    writeFileSync(file, fixture.text);
    for (const connection of connections) {
      expect(pick(sshdEffective(fixture.parsed as SshdConfigData, connection)), `${connection.user}@${connection.addr}`).toEqual(sshdT(file, connection));
    }
  });
});
