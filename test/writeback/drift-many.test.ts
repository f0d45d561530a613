/**
 * A drift check of 5,000 root-only files on a real sudo device (a
 * throwaway user with a NOPASSWD entry for sh, behind a real sshd): every
 * finding is right, a link swapped in for a file costs nothing, and the
 * check travels as a few scripts, each under its chunk limit.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { linkHash } from '../../src/detect/symlink.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { compileWatchSet } from '../../src/devices/watch-set.js';
import type { NewSnapshot } from '../../src/store/snapshot-store.js';
import { WritebackRepository } from '../../src/store/writeback.repository.js';
import type { Transport } from '../../src/transport/transport.js';
import { checkDrift } from '../../src/writeback/drift.js';
import { LIVE_CHUNK_BYTES } from '../../src/writeback/live-state.js';
import { describeUnless } from '../helpers/components.js';
import { openTempStore, sshDevice, type TempStore, watching } from '../helpers/store.js';
import { NOPASSWD_SH, type SudoHost, startSudoHost, sudoProblem, type TestUser } from '../helpers/sudo-users.js';
import { remoteOnlyValidate } from './remote-only-validate.js';

const FILES = 5_000;
const DIRS = 50;

describeUnless(sudoProblem(), 'drift check of 5,000 files on a sudo device', () => {
  let host: SudoHost;
  let user: TestUser;
  let temp: TempStore;
  let dir: string;
  const paths: string[] = [];

  beforeAll(async () => {
    host = await startSudoHost('cw-drift-many-');
    user = host.addUser('cwdm', NOPASSWD_SH);
    temp = await openTempStore('cw-drift-many-home-');
    dir = join(host.base, 'etc');
    for (let d = 0; d < DIRS; d++) mkdirSync(join(dir, `d${d}`), { recursive: true, mode: 0o755 });
    for (let i = 0; i < FILES; i++) {
      const path = join(dir, `d${i % DIRS}`, `file-${i}.conf`);
      // root only: the login user reads nothing without sudo
      writeFileSync(path, `value = ${i}\n`, { mode: 0o600 });
      paths.push(path);
    }
    await temp.store.addDevice(sshDevice('many', host.sshd, { user: user.name, sudo: true, mode: 'polling', passphrase: null }), watching('many', `${dir}/**`));
    const detectedAt = new Date().toISOString();
    const baselines: NewSnapshot[] = paths.map((path, i) => ({
      device: 'many',
      path,
      configType: 'generic',
      profile: 'custom',
      changeType: 'initial',
      source: 'poll',
      content: Buffer.from(`value = ${i}\n`),
      detectedAt,
      setBaseline: true,
    }));
    await temp.store.recordSnapshots(baselines);
  }, 120_000);
  afterAll(async () => {
    await temp?.close();
    await host?.stop();
  });

  it('finds exactly what changed among 5,000 root-only files, in scripts each under the chunk limit', async () => {
    writeFileSync(paths[10]!, 'edited\n');
    writeFileSync(paths[2_500]!, 'edited\n');
    writeFileSync(paths[4_999]!, 'edited\n');
    rmSync(paths[7]!);
    // a link to an endless file in place of a tracked file is recorded as a link, never read
    rmSync(paths[42]!);
    symlinkSync('/dev/zero', paths[42]!);

    const scripts: number[] = [];
    const counting = (inner: Transport): Transport =>
      new Proxy(inner, {
        get(target, key, receiver) {
          if (key === 'run') {
            return (script: Parameters<Transport['run']>[0], options?: Parameters<Transport['run']>[1]) => {
              scripts.push(script.bytes.length);
              return target.run(script, options);
            };
          }
          const value = Reflect.get(target, key, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const store = temp.store;
    const report = await checkDrift(
      { store, repo: new WritebackRepository(store), watchSetOf: async (name) => compileWatchSet(await store.listProfiles(name)), bus: new MemoryEventBus(), transportFor: async () => counting(host.transportFor(user)), validate: remoteOnlyValidate },
      'many',
    );
    expect(report.checked).toBe(FILES);
    const byPath = new Map(report.findings.map((f) => [f.path, f]));
    expect(report.findings).toHaveLength(5);
    for (const i of [10, 2_500, 4_999]) expect(byPath.get(paths[i]!)).toMatchObject({ status: 'drifted' });
    expect(byPath.get(paths[7]!)).toMatchObject({ status: 'missing' });
    expect(byPath.get(paths[42]!)).toMatchObject({ status: 'drifted', liveHash: linkHash('/dev/zero') });
    // one script per chunk, none past the chunk limit (and a small fixed part)
    expect(scripts.length).toBeGreaterThan(0);
    for (const bytes of scripts) expect(bytes).toBeLessThanOrEqual(LIVE_CHUNK_BYTES.onStdin + 16 * 1024);
  }, 60_000);
});
