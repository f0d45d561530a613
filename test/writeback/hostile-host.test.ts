/**
 * Write-back on a host where an unprivileged user (a real Unix account)
 * owns a watched directory and tries to turn confwatch's root writes
 * against it: a link planted at the temp name, the target swapped for a
 * link to a root-owned canary, a parent directory swapped for a link
 * between prepare and commit. The canary must never change, and the batch
 * must say what it refused. Also: modes and owners of restored and
 * recreated files, links to watched files, undo of files history keeps
 * only the hash of, and recovery that goes by leases, not PIDs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../src/hash.js';
import { newId } from '../../src/store/ids.js';
import { remotePathFromBytes } from '../../src/transport/remote-path.js';
import { runBatch } from '../../src/writeback/batch.js';
import { recoverBatches } from '../../src/writeback/batch-recovery.js';
import type { BatchJournal, JournalEntry } from '../../src/writeback/journal.js';
import { runReload } from '../../src/writeback/reload.js';
import { randomTempToken } from '../../src/writeback/remote-scripts.js';
import { restoreSnapshot } from '../../src/writeback/restore.js';
import { commandExists, describeUnless } from '../helpers/components.js';
import { type SudoHost, startSudoHost, sudoProblem, type TestUser } from '../helpers/sudo-users.js';
import { type Bed, createBed, type Host, transportFor } from './harness.js';

const problem = sudoProblem() ?? (commandExists('setpriv') ? null : 'setpriv is not installed (apt-get install util-linux)');

describeUnless(problem, 'write-back on a host with a hostile unprivileged user', () => {
  let bed: Bed;
  let host: Host;
  let users: SudoHost;
  let attacker: TestUser;
  let canaryDir: string;
  let canary: string;
  let userDir: string;

  beforeAll(async () => {
    bed = await createBed({ hosts: 2 });
    host = bed.hosts[0]!;
    users = await startSudoHost('cw-wbx-');
    attacker = users.addUser('cwa');
    canaryDir = mkdtempSync(join(tmpdir(), 'cw-canary-'));
    chmodSync(canaryDir, 0o755);
    canary = join(canaryDir, 'canary');
    writeFileSync(canary, 'root only\n', { mode: 0o644 });
    // like SWAG's proxy-confs: a watched directory owned by the container's PUID
    userDir = join(host.root, 'proxy-confs');
    mkdirSync(userDir, { mode: 0o755 });
    chownSync(userDir, attacker.uid, attacker.gid);
  });
  afterAll(async () => {
    await bed?.dispose();
    await users?.stop();
    if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
  });

  /** Runs a command as the unprivileged user. */
  const asAttacker = (command: string, ...args: string[]) =>
    execFileSync('setpriv', [`--reuid=${attacker.uid}`, `--regid=${attacker.gid}`, '--clear-groups', '--', command, ...args], { stdio: 'pipe' });
  const canaryIntact = () => {
    expect(readFileSync(canary, 'utf8')).toBe('root only\n');
    expect(statSync(canary)).toMatchObject({ uid: 0, mode: 0o100644 });
  };
  async function userFile(name: string, content: string): Promise<string> {
    const path = join(userDir, name);
    asAttacker('sh', '-c', `printf '%s' "$1" > "$2"`, 'sh', content, path);
    await bed.capture(host, path, Buffer.from(content));
    return path;
  }
  async function rootFile(rel: string, content: string, mode = 0o644): Promise<string> {
    const path = join(host.root, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    await bed.capture(host, path, Buffer.from(content));
    return path;
  }
  const batch = (path: string, content: string, extra: Partial<Parameters<typeof runBatch>[2]> = {}, device = 'host0') =>
    runBatch(bed.deps, [{ device, path, content: Buffer.from(content) }], { operation: 'batch', source: 'batch', actor: 'ops', ...extra });

  it('writes into a directory the user owns as that user, never as root', async () => {
    const file = await userFile('site.conf', 'v1\n');
    await batch(file, 'v2\n');
    expect(readFileSync(file, 'utf8')).toBe('v2\n');
    expect(statSync(file)).toMatchObject({ uid: attacker.uid, gid: attacker.gid });
    // The user may replace the file, but confwatch acted as the user: a root-owned file there is refused.
    const rootOwned = join(userDir, 'root-owned.conf');
    writeFileSync(rootOwned, 'r\n');
    await bed.capture(host, rootOwned, Buffer.from('r\n'));
    const error = await batch(rootOwned, 'r2\n').catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_REFUSED' });
    expect(error.message).toContain(`${userDir} is writable by uid ${attacker.uid} but the file belongs to uid 0`);
    expect(readFileSync(rootOwned, 'utf8')).toBe('r\n');
  });

  it('temp names are unpredictable, and a link planted at the temp name is never followed', async () => {
    const tokens = new Set(Array.from({ length: 1000 }, randomTempToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{32}$/);

    const file = await userFile('planted.conf', 'mine\n');
    // The user knows the name (the test makes it predictable) and plants links at it and at the old-style names.
    asAttacker('ln', '-s', canaryDir, join(userDir, '.confwatch-known'));
    asAttacker('ln', '-s', canary, join(userDir, '.planted.conf.confwatch-known.tmp'));
    const error = await batch(file, 'attacker bytes\n', { tempToken: () => 'known' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_REFUSED' });
    expect(error.message).toContain('.confwatch-known already exists');
    expect(error.details.refused).toHaveLength(1);
    canaryIntact();
    expect(existsSync(join(canaryDir, 'new'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(readlinkSync(join(userDir, '.confwatch-known'))).toBe(canaryDir);
  });

  it('a target the user swapped for a link to a root-owned file is refused, in a user and in a root directory', async () => {
    const file = await userFile('swapped.conf', 'before\n');
    asAttacker('rm', file);
    asAttacker('ln', '-s', canary, file);
    const error = await batch(file, 'attacker bytes\n', { force: true }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_REFUSED' });
    expect(error.details.refused[0]).toMatchObject({ device: 'host0', path: file });
    expect(error.details.refused[0].reason).toContain(`is a symbolic link to ${canary}, which is not watched`);
    canaryIntact();
    expect(lstatSync(file).isSymbolicLink()).toBe(true);

    const inRoot = await rootFile('etc/app.conf', 'app\n');
    rmSync(inRoot);
    symlinkSync(canary, inRoot);
    const again = await batch(inRoot, 'attacker bytes\n', { force: true }).catch((e) => e);
    expect(again).toMatchObject({ code: 'CW_ERR_WRITEBACK_REFUSED' });
    canaryIntact();
    expect(lstatSync(inRoot).isSymbolicLink()).toBe(true);
  });

  it('a parent directory swapped for a link between prepare and commit is refused at commit', async () => {
    const file = await rootFile('app/x.conf', 'same\n');
    // the canary holds what the user saw in x.conf, so a re-check by hash alone would pass through the link
    const decoy = join(canaryDir, 'x.conf');
    writeFileSync(decoy, 'same\n');
    const inode = statSync(decoy).ino;
    const error = await batch(file, 'attacker bytes\n', {
      faults: {
        beforeCommit: (entries) => {
          const appDir = join(host.root, 'app');
          renameSync(appDir, `${appDir}.orig`);
          symlinkSync(canaryDir, appDir);
          // and the prepared temp directory is moved where the link leads
          const temp = entries[0]!.tempDir!.slice(appDir.length + 1);
          renameSync(join(`${appDir}.orig`, temp), join(canaryDir, temp));
        },
      },
    }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_REFUSED' });
    expect(error.message).toContain(`${join(host.root, 'app')} was replaced`);
    expect(readFileSync(decoy, 'utf8')).toBe('same\n');
    expect(statSync(decoy).ino).toBe(inode);
    canaryIntact();
    expect(readFileSync(join(host.root, 'app.orig', 'x.conf'), 'utf8')).toBe('same\n');
    rmSync(join(host.root, 'app'));
    renameSync(join(host.root, 'app.orig'), join(host.root, 'app'));
  });

  it('a restored or recreated file gets no setuid/setgid/sticky bit it does not have live, and the snapshot owner', async () => {
    const live = await rootFile('modes/tool.conf', 'live\n', 0o755);
    const [old] = await bed.store.recordSnapshots([
      {
        device: 'host0',
        path: live,
        configType: 'generic',
        profile: 'custom',
        changeType: 'modified',
        source: 'poll',
        content: Buffer.from('old\n'),
        mode: 0o6755,
        uid: attacker.uid,
        gid: attacker.gid,
        detectedAt: new Date().toISOString(),
      },
    ]);
    await bed.capture(host, live, Buffer.from('live\n'));
    await restoreSnapshot(bed.deps, { snapshotId: old!.id, actor: 'a' });
    expect(statSync(live).mode & 0o7777).toBe(0o755);
    // an explicit mode (a changes file's) cannot add them either
    const explicit = await runBatch(bed.deps, [{ device: 'host0', path: live, content: Buffer.from('explicit2\n'), mode: 0o4711 }], {
      operation: 'batch',
      source: 'batch',
      actor: 'ops',
      force: true,
    });
    expect(explicit.status).toBe('applied');
    expect(statSync(live).mode & 0o7777).toBe(0o711);
    // a bit the live file has is kept (and not lost to the chown)
    chmodSync(live, 0o2755);
    await bed.capture(host, live, Buffer.from('explicit2\n'));
    await batch(live, 'keeps setgid\n');
    expect(statSync(live).mode & 0o7777).toBe(0o2755);
    // recreated: the snapshot's mode without special bits, the snapshot's owner
    rmSync(live);
    await bed.capture(host, live, null);
    await restoreSnapshot(bed.deps, { snapshotId: old!.id, actor: 'a' });
    expect(readFileSync(live, 'utf8')).toBe('old\n');
    expect(statSync(live)).toMatchObject({ mode: 0o100755, uid: attacker.uid, gid: attacker.gid });
  });

  it('a link to a watched file (Debian sites-enabled) is written through and stays a link; its mode is the target’s', async () => {
    const available = await rootFile('sites-available/default', 'server {}\n', 0o640);
    const enabled = join(host.root, 'sites-enabled', 'default');
    mkdirSync(join(enabled, '..'));
    symlinkSync('../sites-available/default', enabled);
    await bed.capture(host, enabled, Buffer.from('server {}\n'));
    await batch(enabled, 'server { listen 81; }\n');
    expect(lstatSync(enabled).isSymbolicLink()).toBe(true);
    expect(readFileSync(available, 'utf8')).toBe('server { listen 81; }\n');
    expect(statSync(available).mode & 0o7777).toBe(0o640);
  });

  it('a file history keeps only the hash of is backed up before writing, and put back when the batch fails', async () => {
    const big = join(host.root, 'big.conf');
    const bytes = Buffer.alloc(300_000, 'b');
    writeFileSync(big, bytes);
    // what capture stores for a file over maxFileBytes: the hash only
    await bed.store.recordSnapshots([
      { device: 'host0', path: big, configType: 'generic', profile: 'custom', changeType: 'modified', source: 'poll', contentHash: sha256Hex(bytes), detectedAt: new Date().toISOString() },
    ]);
    const other = join(bed.hosts[1]!.root, 'other.conf');
    writeFileSync(other, 'o\n');
    await bed.capture(bed.hosts[1]!, other, Buffer.from('o\n'));
    const error = await runBatch(
      bed.deps,
      [
        { device: 'host0', path: big, content: Buffer.from('small now\n') },
        { device: 'host1', path: other, content: Buffer.from('o2\n') },
      ],
      // host1's file changes under the batch, after host0 has committed
      { operation: 'batch', source: 'batch', actor: 'ops', faults: { beforeCommit: () => writeFileSync(other, 'edited\n') } },
    ).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_CONFLICT' });
    expect(readFileSync(big).equals(bytes)).toBe(true);

    // too large to back up: refused before anything is written
    const refusing = { ...bed.deps, maxBackupBytes: 1000 };
    const refused = await runBatch(refusing, [{ device: 'host0', path: big, content: Buffer.from('x\n') }], { operation: 'batch', source: 'batch', actor: 'ops' }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'CW_ERR_WRITEBACK_REFUSED' });
    expect(refused.message).toContain('too large to keep a backup of');
    expect(readFileSync(big).equals(bytes)).toBe(true);
  });

  it('recovery takes over a batch whose lease ran out even though its owner PID is alive (a restarted container)', async () => {
    const a = await rootFile('lease/a.conf', 'a-old\n');
    const b = await rootFile('lease/b.conf', 'b-old\n');
    // the crashed owner had renamed a.conf only
    writeFileSync(a, 'a-new\n');
    const entry = (path: string, from: string, to: string): JournalEntry => ({
      device: 'host0',
      path,
      writePath: path,
      tempDir: null,
      newHash: sha256Hex(Buffer.from(to)),
      backupHash: sha256Hex(Buffer.from(from)),
      backupSnapshotId: null,
      mode: 0o644,
      uid: 0,
      gid: 0,
      backupMode: 0o644,
      backupUid: 0,
      backupGid: 0,
      writer: null,
      ancestors: [],
      configType: 'generic',
      profile: 'custom',
    });
    const journal = (id: string): BatchJournal => ({
      id,
      operation: 'batch',
      source: 'batch',
      actor: 'ops',
      // PID 1 in its container then, this very process's PID now: alive either way
      owner: { host: hostname(), pid: process.pid, instance: 'before-the-restart' },
      entries: [entry(a, 'a-old\n', 'a-new\n'), entry(b, 'b-old\n', 'b-new\n')],
      committedDevices: [],
      phase: 'committing',
      log: [],
    });
    const fresh = newId();
    await bed.deps.repo.createBatch(fresh, 'committing', journal(fresh), { instance: 'still-running', until: new Date(Date.now() + 60_000).toISOString() });
    const expired = newId();
    await bed.deps.repo.createBatch(expired, 'committing', journal(expired), { instance: 'before-the-restart', until: new Date(Date.now() - 1_000).toISOString() });
    const recovered = await recoverBatches(bed.deps);
    expect(recovered).toContainEqual({ batchId: expired, outcome: 'rolled-back' });
    expect(recovered.map((r) => r.batchId)).not.toContain(fresh);
    expect(readFileSync(a, 'utf8')).toBe('a-old\n');
    expect(readFileSync(b, 'utf8')).toBe('b-old\n');
    expect((await bed.deps.repo.getBatch(fresh))?.status).toBe('committing');
  });

  it('writes a file whose directory and name are not UTF-8, in a user directory', async () => {
    const dirBytes = Buffer.concat([Buffer.from(`${userDir}/`), Buffer.from([0xe9, 0x0a])]);
    const fileBytes = Buffer.concat([dirBytes, Buffer.from('/'), Buffer.from([0xff, 0x27]), Buffer.from('.conf')]);
    mkdirSync(dirBytes);
    writeFileSync(fileBytes, 'one');
    for (const p of [dirBytes, fileBytes]) chownSync(p, attacker.uid, attacker.gid);
    const path = remotePathFromBytes(fileBytes);
    await bed.capture(host, path, Buffer.from('one'));
    await batch(path, 'two');
    expect(readFileSync(fileBytes).toString()).toBe('two');
    expect(statSync(fileBytes).uid).toBe(attacker.uid);
  });

  it('a running batch keeps renewing its lease: another instance does not take it over mid-batch', async () => {
    const file = await rootFile('lease/running.conf', 'r1\n');
    const deps = { ...bed.deps, leaseMs: 300 };
    let seen: Awaited<ReturnType<typeof recoverBatches>> | null = null;
    const result = await runBatch(deps, [{ device: 'host0', path: file, content: Buffer.from('r2\n') }], {
      operation: 'batch',
      source: 'batch',
      actor: 'ops',
      faults: {
        beforeCommit: async () => {
          // several lease lengths pass while the batch runs
          await new Promise((resolve) => setTimeout(resolve, 1_200));
          seen = await recoverBatches({ ...bed.deps, instanceId: 'another-instance', leaseMs: 300 });
        },
      },
    });
    expect(result.status).toBe('applied');
    expect(seen).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe('r2\n');
  });

  it('the reload substitutes {file} and {dir} with the exact bytes of non-ASCII and non-UTF-8 paths', async () => {
    const transport = await transportFor(host.sshd)();
    try {
      const out = join(host.root, 'reload.out');
      for (const name of [Buffer.from('café-ü.conf'), Buffer.from([0x6e, 0xe9, 0x2e, 0x63, 0x6f, 0x6e, 0x66])]) {
        const bytes = Buffer.concat([Buffer.from(`${host.root}/`), name]);
        const path = remotePathFromBytes(bytes);
        const result = await runReload(transport, { type: 'generic', path, command: `printf '%s|%s' {file} {dir} > '${out}'`, sudo: false });
        expect(result?.code).toBe(0);
        expect(readFileSync(out).equals(Buffer.concat([bytes, Buffer.from(`|${host.root}`)]))).toBe(true);
      }
    } finally {
      await transport.close();
    }
  });
});
