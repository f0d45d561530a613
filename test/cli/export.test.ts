/**
 * The `export` and `import` contract (SPEC §11.4) through the built binary:
 * JSON results, exit codes, one-line errors.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInitialisedServices, runCli, tempHome } from '../helpers/cli.js';
import { seedHistory } from '../archive/archive-fixture.js';

describe('confwatch export / import', () => {
  const a = tempHome();
  const b = tempHome();
  let versions = 0;
  beforeAll(async () => {
    const services = await openInitialisedServices(a.home);
    versions = await seedHistory(services.store);
    await services.close();
    await (await openInitialisedServices(b.home)).close();
  });
  afterAll(() => {
    a.remove();
    b.remove();
  });

  it('exports encrypted with history and imports it into another instance once', async () => {
    const file = join(a.home, '..', 'all.cwa');
    const exported = await runCli(['export', '--history', '--passphrase-stdin', '--out', file, '--json'], { env: a.env, stdin: 'pass phrase\n' });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.json()).toMatchObject({ file, devices: 2, versions, encrypted: true });

    const wrong = await runCli(['import', file, '--passphrase-stdin', '--history-only', '--json'], { env: b.env, stdin: 'nope\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);

    const imported = await runCli(['import', file, '--passphrase-stdin', '--history-only', '--json'], { env: b.env, stdin: 'pass phrase\n' });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json()).toMatchObject({ mode: 'history-only', dryRun: false, format: { version: 1, encrypted: true }, history: { versions, alreadyPresent: 0, devicesCreated: ['db', 'web'] } });
    const again = await runCli(['import', file, '--passphrase-stdin', '--history-only', '--json'], { env: b.env, stdin: 'pass phrase\n' });
    expect(again.json()).toMatchObject({ history: { versions: 0, alreadyPresent: versions } });
  });

  it('labels a plain archive as holding secrets, and refuses conflicting modes', async () => {
    const file = join(a.home, '..', 'plain.tar.gz');
    const exported = await runCli(['export', '--device', 'web', '--out', file, '--json'], { env: a.env });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.json()).toMatchObject({ devices: 1, versions: 0, encrypted: false });
    expect(exported.stderr).toMatch(/not encrypted and holds the configs as they are, secrets included/);

    const both = await runCli(['import', file, '--propose', '--apply', '--json'], { env: b.env });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--propose, --apply and --history-only exclude each other/);
    const noTarget = await runCli(['export', '--json'], { env: a.env });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--out FILE/);
    const nowhere = await runCli(['export', '--out', join(a.home, '..', 'missing', 'x.tar.gz'), '--json'], { env: a.env });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/cannot write .*x\.tar\.gz: ENOENT/);
    const unknown = await runCli(['export', '--device', 'nope', '--out', file, '--json'], { env: a.env });
    expect(unknown.code).toBe(2);
    const tool = await runCli(['import', '--from', 'rancid', file, '--device', 'web', '--json'], { env: b.env });
    expect(tool.code).toBe(2);
    expect(tool.stderr).toMatch(/--from must be etckeeper or oxidized/);
  });

  it('writes an incremental git mirror', async () => {
    const dir = join(a.home, '..', 'mirror.git');
    const first = await runCli(['export', '--git', dir, '--json'], { env: a.env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ commits: 8, versions: 8, redacted: true });
    expect(execFileSync('git', ['-C', dir, 'rev-list', '--count', 'main'], { encoding: 'utf8' }).trim()).toBe('8');
    const second = await runCli(['export', '--git', dir, '--json'], { env: a.env });
    expect(second.json()).toMatchObject({ commits: 0 });
  });
});
