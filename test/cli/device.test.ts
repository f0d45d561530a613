import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';
import { describeWithSshd, freePort, type RunningSshd, startSshd } from '../helpers/sshd.js';

describe('confwatch init', () => {
  const t = tempHome();
  afterAll(() => t.remove());

  it('creates home 0700 and master key 0600, and is idempotent without overwriting the key', async () => {
    const first = await runCli(['init', '--json'], { env: t.env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ home: t.home, created: true, masterKey: 'created' });
    expect(statSync(t.home).mode & 0o777).toBe(0o700);
    const keyFile = join(t.home, 'master.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8');
    expect(key).toMatch(/^[0-9a-f]+:[A-Za-z0-9+/]{43}=\n$/);

    const second = await runCli(['init', '--json'], { env: t.env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.json()).toMatchObject({ created: false, masterKey: 'existing' });
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
  });

  it('names a bad database URL without its password', async () => {
    const port = await freePort();
    const r = await runCli(['device', 'list', '--json'], {
      env: { ...t.env, CONFWATCH_DATABASE_URL: `postgres://bob:hunter2secret@127.0.0.1:${port}/nope` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).not.toContain('hunter2secret');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('confwatch device (local)', () => {
  const t = tempHome();
  beforeAll(async () => {
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('adds, lists, shows and removes a local device', async () => {
    const add = await runCli(['device', 'add', 'here', '--local', '--watch', '/etc/ssh/*_config', '--type', 'sshd', '--json'], { env: t.env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ name: 'here', transport: 'local', hostKey: null, profiles: [{ name: 'custom', configType: 'sshd', paths: ['/etc/ssh/*_config'] }] });

    const list = await runCli(['device', 'list', '--json'], { env: t.env });
    expect(list.json().map((d: { name: string }) => d.name)).toEqual(['here']);

    const show = await runCli(['device', 'show', 'here', '--json'], { env: t.env });
    expect(show.json()).toMatchObject({ name: 'here', mode: 'auto' });

    const dup = await runCli(['device', 'add', 'here', '--local', '--profile', 'sshd'], { env: t.env });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);

    expect((await runCli(['device', 'remove', 'here'], { env: t.env })).code).toBe(0);
    expect((await runCli(['device', 'list', '--json'], { env: t.env })).json()).toEqual([]);
  });

  it('exits 2 with a clear message for unknown names, invalid names and bad flags', async () => {
    const unknown = await runCli(['device', 'show', 'nope'], { env: t.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown device "nope"/);

    const invalid = await runCli(['device', 'add', 'Bad Name', '--local', '--profile', 'sshd'], { env: t.env });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/invalid device name/);

    const badProfile = await runCli(['device', 'add', 'x', '--local', '--profile', 'apache'], { env: t.env });
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toMatch(/unknown profile "apache"/);

    const badPort = await runCli(['device', 'add', 'x', '--host', 'h', '--port', 'abc', '--profile', 'sshd'], { env: t.env });
    expect(badPort.code).toBe(2);

    const noKey = await runCli(['device', 'add', 'x', '--host', '127.0.0.1', '--profile', 'sshd'], { env: t.env });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--host-key SHA256:… .* or --trust-host-key/);

    const unknownOption = await runCli(['device', 'list', '--bogus'], { env: t.env });
    expect(unknownOption.code).toBe(2);
  });

  it('checks a local device', async () => {
    await runCli(['device', 'add', 'self', '--local', '--profile', 'sshd'], { env: t.env });
    const check = await runCli(['device', 'check', 'self', '--json'], { env: t.env });
    expect(check.code, check.stderr).toBe(0);
    const body = check.json();
    expect(body).toMatchObject({ name: 'self', reachable: true, hostKey: null });
    expect(Object.keys(body.capabilities)).toEqual(
      expect.arrayContaining(['inotifywait', 'sha256sum', 'tar', 'nginx', 'docker', 'systemdAnalyze', 'sshd', 'sudo']),
    );
    expect(['realtime', 'polling']).toContain(body.mode);
  });

  it('imports an inventory all or nothing', async () => {
    const dir = join(t.home, '..');
    const good = join(dir, 'hosts.ini');
    writeFileSync(good, '[web]\nweb1 ansible_host=10.9.0.1 ansible_user=deploy\nweb2 ansible_host=10.9.0.2\n');
    const bad = join(dir, 'bad.ini');
    writeFileSync(bad, '[db]\ndb1 ansible_host=10.9.0.3\ndb2 ansible_port\n');

    const failed = await runCli(['device', 'import', bad, '--json'], { env: t.env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${bad}:3:`);
    const names = (await runCli(['device', 'list', '--json'], { env: t.env })).json().map((d: { name: string }) => d.name);
    expect(names).not.toContain('db1');

    const ok = await runCli(['device', 'import', good, '--json'], { env: t.env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json().added.map((d: { name: string; host: string; tags: string[] }) => [d.name, d.host, d.tags])).toEqual([
      ['web1', '10.9.0.1', ['web']],
      ['web2', '10.9.0.2', ['web']],
    ]);
    // Imported hosts have no pinned key yet: checking them says what to do.
    const check = await runCli(['device', 'check', 'web1', '--json'], { env: t.env });
    expect(check.code).toBe(1);
    expect(check.json().error.message).toMatch(/confwatch device trust web1/);
    expect(check.stderr).toMatch(/^confwatch: .*confwatch device trust web1.*\n$/);
  });
});

describeWithSshd('confwatch device (SSH)', () => {
  const t = tempHome();
  let sshd: RunningSshd;
  beforeAll(async () => {
    sshd = await startSshd();
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
  });
  afterAll(async () => {
    await sshd?.stop();
    t.remove();
  });

  const addArgs = (name: string, extra: string[]) => [
    'device', 'add', name, '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user,
    '--identity', sshd.clientKeyPath, '--profile', 'sshd', ...extra, '--json',
  ];

  it('pins the presented key with --trust-host-key and checks the host', async () => {
    const add = await runCli(addArgs('box', ['--trust-host-key']), { env: t.env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.json().hostKey).toBe(sshd.hostKeyFingerprint);

    const check = await runCli(['device', 'check', 'box', '--json'], { env: t.env });
    expect(check.code, check.stderr).toBe(0);
    const body = check.json();
    expect(body).toMatchObject({ name: 'box', reachable: true, hostKey: sshd.hostKeyFingerprint });
    expect(body.capabilities.inotifywait.present).toBe(true);
    expect(body.capabilities.inotifywait.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.mode).toBe('realtime');
  });

  it('refuses a changed host key, naming both fingerprints', async () => {
    const other = await startSshd();
    try {
      const add = await runCli(
        ['device', 'add', 'mitm', '--host', other.host, '--port', String(other.port), '--user', other.user, '--identity', other.clientKeyPath, '--profile', 'sshd', '--host-key', sshd.hostKeyFingerprint],
        { env: t.env },
      );
      expect(add.code, add.stderr).toBe(0);
      const check = await runCli(['device', 'check', 'mitm', '--json'], { env: t.env });
      expect(check.code).toBe(1);
      const body = check.json();
      expect(body.reachable).toBe(false);
      expect(body.error.code).toBe('CW_ERR_SSH_HOSTKEY_MISMATCH');
      expect(body.error.message).toContain(sshd.hostKeyFingerprint);
      expect(body.error.message).toContain(other.hostKeyFingerprint);
    } finally {
      await other.stop();
    }
  });

  it('reports a wrong client key as an authentication failure', async () => {
    const wrongKey = join(t.home, '..', 'wrong_key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const add = await runCli(
      ['device', 'add', 'wrongkey', '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user, '--identity', wrongKey, '--profile', 'sshd', '--host-key', sshd.hostKeyFingerprint],
      { env: t.env },
    );
    expect(add.code, add.stderr).toBe(0);
    const check = await runCli(['device', 'check', 'wrongkey'], { env: t.env });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`authentication failed for ${sshd.user}@${sshd.host}:${sshd.port}`);
  });

  it('reports a closed port as unreachable within the connect timeout', async () => {
    const port = await freePort();
    const add = await runCli(
      ['device', 'add', 'closed', '--host', '127.0.0.1', '--port', String(port), '--profile', 'sshd', '--host-key', sshd.hostKeyFingerprint],
      { env: t.env },
    );
    expect(add.code, add.stderr).toBe(0);
    const check = await runCli(['device', 'check', 'closed', '--json'], { env: t.env, timeoutMs: 15_000 });
    expect(check.code).toBe(1);
    expect(check.json()).toMatchObject({ reachable: false, error: { code: 'CW_ERR_SSH_CONNECT' } });
  });
});
