/**
 * `--sudo` over SSH against a real sshd: an unprivileged login user with a
 * NOPASSWD sudoers entry reads, stats and writes root-only files through
 * `sudo -n`; a user without sudo rights gets a clear error at once instead
 * of a password prompt. Creates throwaway Unix users, so it needs root.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sh } from '../../src/transport/quote.js';
import { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import { commandExists, describeUnless } from '../helpers/components.js';
import { type RunningSshd, sshdAvailable, startSshd } from '../helpers/sshd.js';

function sudoProblem(): string | null {
  if (!sshdAvailable()) return 'OpenSSH sshd is not installed (apt-get install openssh-server)';
  if (process.getuid?.() !== 0) return 'creating test users and sudoers entries needs root';
  for (const tool of ['sudo', 'visudo', 'useradd', 'userdel']) {
    if (!commandExists(tool)) return `${tool} is not installed (apt-get install sudo passwd)`;
  }
  return null;
}

interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

describeUnless(sudoProblem(), 'SshTransport with sudo against a real sshd', () => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  // sudoers.d ignores files whose names contain a dot
  const sudoersFile = `/etc/sudoers.d/confwatch-test-${tag}`;
  let base: string;
  let sshd: RunningSshd;
  let sudoer: TestUser;
  let plain: TestUser;
  let withSudo: SshTransport;
  let withoutRights: SshTransport;
  const created: string[] = [];

  const addUser = (name: string): TestUser => {
    // '*' (no password) rather than useradd's '!' (locked): sshd without PAM refuses locked accounts even for keys
    execFileSync('useradd', ['-m', '-d', join(base, `home-${name}`), '-s', '/bin/sh', '-p', '*', name], { stdio: 'ignore' });
    created.push(name);
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));
    const user = { name, uid: id('-u'), gid: id('-g') };
    // sshd reads authorized keys as the user, so the file is the user's
    const keys = join(base, 'keys', name);
    writeFileSync(keys, readFileSync(`${sshd.clientKeyPath}.pub`), { mode: 0o600 });
    chownSync(keys, user.uid, user.gid);
    return user;
  };

  const transportFor = (user: TestUser) =>
    new SshTransport({ host: sshd.host, port: sshd.port, user: user.name, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } });

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'cw-sudo-'));
    chmodSync(base, 0o755);
    mkdirSync(join(base, 'keys'), { mode: 0o755 });
    sshd = await startSshd({ authorizedKeysFile: join(base, 'keys', '%u') });
    sudoer = addUser(`cwsudo${tag}`);
    plain = addUser(`cwplain${tag}`);
    // the entry the README documents: sh only, which every sudo operation goes through
    writeFileSync(sudoersFile, `${sudoer.name} ALL=(root) NOPASSWD: /bin/sh, /usr/bin/sh\n`, { mode: 0o440 });
    execFileSync('visudo', ['-cf', sudoersFile], { stdio: 'ignore' });

    // root-only material: a 0600 file, a 0700 directory, and a root-owned directory to write into
    writeFileSync(join(base, 'root-only.conf'), 'secret = 1\n', { mode: 0o600 });
    mkdirSync(join(base, 'private'), { mode: 0o700 });
    writeFileSync(join(base, 'private', 'inner.conf'), 'inner = 1\n', { mode: 0o644 });
    mkdirSync(join(base, 'etc'), { mode: 0o755 });
    writeFileSync(join(base, 'etc', 'app.conf'), 'old = 1\n');
    chmodSync(join(base, 'etc', 'app.conf'), 0o640);
    chownSync(join(base, 'etc', 'app.conf'), 0, sudoer.gid);

    withSudo = transportFor(sudoer);
    withoutRights = transportFor(plain);
  });

  afterAll(async () => {
    await withSudo?.close();
    await withoutRights?.close();
    await sshd?.stop();
    rmSync(sudoersFile, { force: true });
    for (const name of created) {
      // sessions of the user may still be ending; userdel refuses while they run
      try {
        execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
      } catch {
        // none left
      }
      execFileSync('userdel', ['-r', '-f', name], { stdio: 'ignore' });
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('logs in as the unprivileged user and runs as root only through sudo', async () => {
    expect((await withSudo.run(sh`id -u`)).stdout.toString().trim()).toBe(String(sudoer.uid));
    expect((await withSudo.run(sh`id -u`, { sudo: true })).stdout.toString().trim()).toBe('0');
  });

  it('reads a root-only file with sudo, and without it fails with a permission error', async () => {
    const path = join(base, 'root-only.conf');
    expect((await withSudo.readFile(path, { sudo: true })).toString()).toBe('secret = 1\n');
    await expect(withSudo.readFile(path)).rejects.toMatchObject({ code: 'CW_ERR_FILE_PERMISSION', message: expect.stringContaining('--sudo') });
  });

  it('reads and stats inside a directory only root may enter', async () => {
    const path = join(base, 'private', 'inner.conf');
    expect((await withSudo.readFile(path, { sudo: true })).toString()).toBe('inner = 1\n');
    expect(await withSudo.stat(path, { sudo: true })).toMatchObject({ type: 'file', size: 10, uid: 0, mode: 0o644 });
    await expect(withSudo.readFile(path)).rejects.toMatchObject({ code: 'CW_ERR_FILE_PERMISSION' });
  });

  it('stats a root-only file with sudo', async () => {
    expect(await withSudo.stat(join(base, 'root-only.conf'), { sudo: true })).toMatchObject({ type: 'file', size: 11, uid: 0, gid: 0, mode: 0o600 });
    expect(await withSudo.stat(join(base, 'etc', 'missing.conf'), { sudo: true })).toBeNull();
  });

  it('replaces a file in a root-owned directory with sudo, keeping its mode and owner', async () => {
    const path = join(base, 'etc', 'app.conf');
    const before = statSync(path);
    await withSudo.writeFileAtomic(path, Buffer.from('new = 2\n'), { sudo: true });
    expect(readFileSync(path, 'utf8')).toBe('new = 2\n');
    const after = statSync(path);
    expect({ mode: after.mode & 0o7777, uid: after.uid, gid: after.gid }).toEqual({ mode: 0o640, uid: 0, gid: sudoer.gid });
    expect(after.ino).not.toBe(before.ino);

    const created = join(base, 'etc', 'created.conf');
    await withSudo.writeFileAtomic(created, Buffer.from('fresh\n'), { sudo: true, mode: 0o600 });
    expect(readFileSync(created, 'utf8')).toBe('fresh\n');
    expect(statSync(created)).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(created).mode & 0o7777).toBe(0o600);
  });

  it('cannot replace a file in a root-owned directory without sudo, and leaves it untouched', async () => {
    const path = join(base, 'etc', 'app.conf');
    const content = readFileSync(path);
    await expect(withSudo.writeFileAtomic(path, Buffer.from('nope\n'))).rejects.toMatchObject({ code: 'CW_ERR_FILE_PERMISSION' });
    expect(readFileSync(path)).toEqual(content);
  });

  it('fails at once with a clear error when the user may not sudo without a password', async () => {
    const path = join(base, 'root-only.conf');
    const sudoRefused = {
      code: 'CW_ERR_REMOTE_COMMAND',
      message: expect.stringMatching(new RegExp(`sudo -n was refused for ${plain.name}@${sshd.host}:${sshd.port}.*NOPASSWD`)),
    };
    await expect(withoutRights.readFile(path, { sudo: true })).rejects.toMatchObject(sudoRefused);
    await expect(withoutRights.stat(path, { sudo: true })).rejects.toMatchObject(sudoRefused);
    await expect(withoutRights.run(sh`true`, { sudo: true })).rejects.toMatchObject(sudoRefused);
    await expect(withoutRights.exec(['true'], { sudo: true })).rejects.toMatchObject(sudoRefused);
    // the connection stays usable for work without sudo
    expect((await withoutRights.run(sh`id -un`)).stdout.toString().trim()).toBe(plain.name);
  });

  it('keeps a script that fails under sudo a result, not a refusal', async () => {
    const result = await withSudo.run(sh`echo "sudo: not really" >&2; exit 1`, { sudo: true });
    expect(result.code).toBe(1);
    expect(result.stderr.toString()).toBe('sudo: not really\n');
    const exec = await withSudo.exec(['sh', '-c', 'id -u; exit 3'], { sudo: true });
    expect(exec).toMatchObject({ code: 3 });
    expect(exec.stdout.toString().trim()).toBe('0');
  });
});
