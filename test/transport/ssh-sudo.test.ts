/**
 * `--sudo` over SSH against a real sshd: an unprivileged login user with a
 * NOPASSWD sudoers entry reads, stats and writes root-only files through
 * `sudo -n`; a user without sudo rights gets a clear error at once instead
 * of a password prompt. Creates throwaway Unix users, so it needs root.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { MAX_ARGUMENT_BYTES } from '../../src/transport/command-size.js';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { observeFiles } from '../../src/writeback/live-state.js';
import { sha256Hex } from '../../src/hash.js';
import { raw, sh } from '../../src/transport/quote.js';
import type { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import { sudoRefusalInLine, sudoRefusedExit } from '../../src/transport/sudo.js';
import { describeUnless } from '../helpers/components.js';
import type { RunningSshd } from '../helpers/sshd.js';
import { NOPASSWD_SH, type SudoHost, startSudoHost, sudoProblem, type TestUser } from '../helpers/sudo-users.js';

describeUnless(sudoProblem(), 'SshTransport with sudo against a real sshd', () => {
  let host: SudoHost;
  let base: string;
  let sshd: RunningSshd;
  let sudoer: TestUser;
  let plain: TestUser;
  let withSudo: SshTransport;
  let withoutRights: SshTransport;

  beforeAll(async () => {
    host = await startSudoHost();
    ({ base, sshd } = host);
    sudoer = host.addUser('cwsudo', NOPASSWD_SH);
    plain = host.addUser('cwplain');

    // root-only material: a 0600 file, a 0700 directory, and a root-owned directory to write into
    writeFileSync(join(base, 'root-only.conf'), 'secret = 1\n', { mode: 0o600 });
    mkdirSync(join(base, 'private'), { mode: 0o700 });
    writeFileSync(join(base, 'private', 'inner.conf'), 'inner = 1\n', { mode: 0o644 });
    mkdirSync(join(base, 'etc'), { mode: 0o755 });
    writeFileSync(join(base, 'etc', 'app.conf'), 'old = 1\n');
    chmodSync(join(base, 'etc', 'app.conf'), 0o640);
    chownSync(join(base, 'etc', 'app.conf'), 0, sudoer.gid);

    withSudo = host.transportFor(sudoer);
    withoutRights = host.transportFor(plain);
  });

  afterAll(async () => {
    await withSudo?.close();
    await withoutRights?.close();
    await host?.stop();
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

  it('ends a streamed command that sudo refuses with the tagged exit and sudo\'s reason on stderr', async () => {
    const stderr: string[] = [];
    const stream = withoutRights.stream(['sh', '-c', 'echo never'], { sudo: true, onStderr: (line) => stderr.push(line) });
    const records: string[] = [];
    for await (const record of stream) records.push(record.toString());
    const code = await stream.exited;
    expect(records).toEqual([]);
    expect(sudoRefusedExit(code)).toBe(true);
    const reasons = stderr.map(sudoRefusalInLine).filter((r) => r !== null);
    expect(reasons).toEqual([expect.stringMatching(/^sudo: /)]);
  });

  it('streams as root for a user with sudo rights, with no refusal line', async () => {
    const stderr: string[] = [];
    const stream = withSudo.stream(['id', '-u'], { sudo: true, onStderr: (line) => stderr.push(line) });
    const records: string[] = [];
    for await (const record of stream) records.push(record.toString());
    expect(records).toEqual(['0']);
    expect(await stream.exited).toBe(0);
    expect(stderr.map(sudoRefusalInLine).filter((r) => r !== null)).toEqual([]);
  });

  it('keeps a script that fails under sudo a result, not a refusal', async () => {
    const result = await withSudo.run(sh`echo "sudo: not really" >&2; exit 1`, { sudo: true });
    expect(result.code).toBe(1);
    expect(result.stderr.toString()).toBe('sudo: not really\n');
    const exec = await withSudo.exec(['sh', '-c', 'id -u; exit 3'], { sudo: true });
    expect(exec).toMatchObject({ code: 3 });
    expect(exec.stdout.toString().trim()).toBe('0');
  });

  // 320 long names make an observe script of about 140 KB, over the 128 KiB one argument may hold
  it('observes 320 root-only files as root in one request: the script reaches sudo on stdin, not as an argument', async () => {
    const dir = join(base, 'many');
    mkdirSync(dir, { mode: 0o700 });
    const paths: string[] = [];
    for (let i = 0; i < 320; i++) {
      const path = join(dir, `${'n'.repeat(180)}-${i}.conf`);
      writeFileSync(path, `n = ${i}\n`, { mode: 0o600 });
      paths.push(path);
    }
    const live = await observeFiles(withSudo, paths, { sudo: true });
    expect(live).toHaveLength(320);
    expect(live[232]).toMatchObject({ kind: 'present', hash: sha256Hex(Buffer.from('n = 232\n')), stat: { uid: 0, mode: 0o600 } });
    expect(live.every((f) => f.kind === 'present')).toBe(true);
  }, 300_000);

  it('keeps stdin for the script itself when a large script runs under sudo', async () => {
    const padding = `: ${'x'.repeat(150 * 1024)}\n`;
    const input = Buffer.concat([Buffer.from('line one\n'), Buffer.from([0, 1, 2, 255])]);
    const result = await withSudo.run(sh`${raw(padding)}id -u >&2; cat`, { sudo: true, stdin: input });
    expect(result.code).toBe(0);
    expect(result.stderr.toString().trim()).toBe('0');
    expect(result.stdout).toEqual(input);
  });

  it('reports a one-off command too large for one argument as too large, not as a sudo refusal', async () => {
    const big = sh`${raw(`: ${'y'.repeat(MAX_ARGUMENT_BYTES)}\n`)}true`;
    const tooLarge = { code: 'CW_ERR_REMOTE_COMMAND_TOO_LARGE', message: expect.stringContaining('nothing was run') };
    await expect(withSudo.exec(big, { sudo: true })).rejects.toMatchObject(tooLarge);
    await expect(withSudo.exec(big)).rejects.toMatchObject(tooLarge);
    // the same large script through the persistent shell runs; without sudo rights it is a refusal
    expect((await withSudo.run(big, { sudo: true })).code).toBe(0);
    await expect(withoutRights.run(big, { sudo: true })).rejects.toMatchObject({ code: 'CW_ERR_REMOTE_COMMAND', details: { sudo: true } });
  });
});
