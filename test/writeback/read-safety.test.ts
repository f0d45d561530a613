/**
 * What root reads on a host where an unprivileged user (a real Unix
 * account) owns a watched directory: a link read through by a watched name
 * that leads through a directory link the user planted, drift accept of a
 * file the user swapped for a link, live hashes of a write that runs as the
 * user, and write locks that outlive their lifetime while a batch runs.
 * A root-only secret outside the watched tree must never be stored, hashed
 * into an answer or read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CaptureService } from '../../src/detect/capture.js';
import { Correlator } from '../../src/detect/correlator.js';
import { linkHash } from '../../src/detect/symlink.js';
import { sha256Hex } from '../../src/hash.js';
import { compileWatchSet } from '../../src/devices/watch-set.js';
import { runBatch } from '../../src/writeback/batch.js';
import { checkDrift } from '../../src/writeback/drift.js';
import { resolveDrift } from '../../src/writeback/drift-resolution.js';
import { commandExists, describeUnless } from '../helpers/components.js';
import { type SudoHost, startSudoHost, sudoProblem, type TestUser } from '../helpers/sudo-users.js';
import { type Bed, createBed, type Host, transportFor } from './harness.js';

const problem = sudoProblem() ?? (commandExists('setpriv') ? null : 'setpriv is not installed (apt-get install util-linux)');

const SECRET = 'ROOT-ONLY-SECRET-7\n';

describeUnless(problem, 'what root reads in a directory an unprivileged user owns', () => {
  let bed: Bed;
  let host: Host;
  let users: SudoHost;
  let attacker: TestUser;
  let secretDir: string;
  let secret: string;
  let userDir: string;

  beforeAll(async () => {
    bed = await createBed({ hosts: 1 });
    host = bed.hosts[0]!;
    users = await startSudoHost('cw-rsafe-');
    attacker = users.addUser('cwr');
    secretDir = mkdtempSync(join(tmpdir(), 'cw-secret-'));
    chmodSync(secretDir, 0o755);
    secret = join(secretDir, 'secret.conf');
    writeFileSync(secret, SECRET, { mode: 0o600 });
    userDir = join(host.root, 'proxy-confs');
    mkdirSync(userDir, { mode: 0o755 });
    chownSync(userDir, attacker.uid, attacker.gid);
  });
  afterAll(async () => {
    await bed?.dispose();
    await users?.stop();
    if (secretDir) rmSync(secretDir, { recursive: true, force: true });
  });

  const asAttacker = (command: string, ...args: string[]) =>
    execFileSync('setpriv', [`--reuid=${attacker.uid}`, `--regid=${attacker.gid}`, '--clear-groups', '--', command, ...args], { stdio: 'pipe' });
  const secretHash = sha256Hex(Buffer.from(SECRET));

  /** Every stored version's bytes on the device, for "the secret was never stored". */
  async function storedBytes(): Promise<string> {
    const out: string[] = [];
    for (const t of await bed.store.listTrackedFiles(host.device.name)) {
      for (const s of (await bed.store.history(host.device.name, t.path)).items) {
        expect(s.contentHash).not.toBe(secretHash);
        if (s.hasContent) out.push((await bed.store.readContent(s)).toString('latin1'));
      }
    }
    return out.join('\n');
  }

  it('reads a link through to a watched name only when no directory link lies on the way; else records the link', async () => {
    const transport = await transportFor(host.sshd)();
    try {
      const watchSet = compileWatchSet(await bed.store.listProfiles(host.device.name));
      const correlator = new Correlator({ device: host.device.name, store: bed.store, bus: bed.deps.bus });
      const capture = new CaptureService({ device: host.device, watchSet, transport, store: bed.store, bus: bed.deps.bus, correlator });
      // `d/secret.conf` is inside the watched globs by name, and /tmp/cw-secret-…/secret.conf in fact
      asAttacker('ln', '-s', secretDir, join(userDir, 'd'));
      asAttacker('ln', '-s', 'd/secret.conf', join(userDir, 'x.conf'));
      // a real watched target, for contrast: read through as before
      asAttacker('sh', '-c', 'printf real > "$1"', 'sh', join(userDir, 'real.conf'));
      asAttacker('ln', '-s', 'real.conf', join(userDir, 'alias.conf'));
      const detectedAt = new Date().toISOString();
      await capture.capture(
        ['x.conf', 'alias.conf', 'd/secret.conf'].map((name) => ({ path: join(userDir, name), kind: 'changed' as const, detectedAt })),
        'realtime',
      );
      await correlator.flush();
      expect(await bed.store.latestSnapshot(host.device.name, join(userDir, 'x.conf'))).toMatchObject({ hasContent: false, contentHash: linkHash('d/secret.conf') });
      expect(await bed.store.latestSnapshot(host.device.name, join(userDir, 'alias.conf'))).toMatchObject({ hasContent: true, contentHash: sha256Hex(Buffer.from('real')) });
      // the name behind the planted link, as an event would name it: not read at all
      expect(await bed.store.latestSnapshot(host.device.name, join(userDir, 'd/secret.conf'))).toBeUndefined();
      expect(await storedBytes()).not.toContain('ROOT-ONLY-SECRET');
    } finally {
      await transport.close();
    }
  });

  it('drift check and accept of a file swapped for a link record the link, never what it leads to', async () => {
    const file = join(userDir, 'site.conf');
    asAttacker('sh', '-c', 'printf v1 > "$1"', 'sh', file);
    const baseline = await bed.capture(host, file, Buffer.from('v1'));
    await bed.store.updateTrackedFile(host.device.name, file, { baselineSnapshotId: baseline });
    asAttacker('rm', file);
    asAttacker('ln', '-s', secret, file);

    const report = await checkDrift(bed.deps, host.device.name);
    const finding = report.findings.find((f) => f.path === file);
    expect(finding).toMatchObject({ status: 'drifted', liveHash: linkHash(secret) });
    expect(JSON.stringify(report)).not.toContain(secretHash);

    const resolved = await resolveDrift(bed.deps, { device: host.device.name, path: file, resolution: 'accept', actor: 'ops' });
    expect(await bed.store.getSnapshot(resolved.snapshotId)).toMatchObject({ changeType: 'metadata', hasContent: false, contentHash: linkHash(secret) });
    expect(await storedBytes()).not.toContain('ROOT-ONLY-SECRET');
  });

  it('reads the live file of a write that runs as the directory owner as that owner, not as root', async () => {
    // a root-only file the user cannot read, in the user's directory: root would hash it for them
    const file = join(userDir, 'rootonly.conf');
    writeFileSync(file, SECRET, { mode: 0o600 });
    await bed.capture(host, file, Buffer.from('older\n'));
    const error = await runBatch(bed.deps, [{ device: host.device.name, path: file, content: Buffer.from('new\n') }], {
      operation: 'batch',
      source: 'batch',
      actor: 'ops',
      force: true,
    }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_FILE_PERMISSION' });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secretHash);
    expect(readFileSync(file, 'utf8')).toBe(SECRET);
    rmSync(file);
  });

  it('keeps its write locks while a batch runs longer than their lifetime', async () => {
    const file = join(host.root, 'locked.conf');
    writeFileSync(file, 'l1\n');
    await bed.capture(host, file, Buffer.from('l1\n'));
    const deps = { ...bed.deps, lockTtlMs: 300 };
    let second: unknown = null;
    const first = await runBatch(deps, [{ device: host.device.name, path: file, content: Buffer.from('l2\n') }], {
      operation: 'batch',
      source: 'batch',
      actor: 'ops',
      faults: {
        beforeCommit: async () => {
          // several lifetimes pass while the batch runs, then another write-back of the file starts
          await new Promise((resolve) => setTimeout(resolve, 1_200));
          second = await runBatch(deps, [{ device: host.device.name, path: file, content: Buffer.from('other\n') }], {
            operation: 'batch',
            source: 'batch',
            actor: 'other',
            force: true,
          }).catch((e) => e);
        },
      },
    });
    expect(second).toMatchObject({ code: 'CW_ERR_WRITEBACK_CONFLICT', message: expect.stringContaining('is in progress') });
    expect(first.status).toBe('applied');
    expect(readFileSync(file, 'utf8')).toBe('l2\n');
  });
});
