/**
 * InotifyWatcher against a real inotifywait, on this host through the local
 * transport (the SSH path is covered by the monitor suite).
 */
import { describeWith } from '../helpers/components.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CaptureRequest } from '../../src/detect/capture.js';
import { inotifyFormatFor } from '../../src/detect/inotify-record.js';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { InotifyWatcher, type WatchEnd } from '../../src/watch/inotify.watcher.js';
import { resolveProfiles } from '../../src/devices/profiles.js';
import { compileWatchSet } from '../../src/devices/watch-set.js';

function inotifywaitVersion(): string | null {
  try {
    return execFileSync('inotifywait', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0] ?? null;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    return out.startsWith('inotifywait') ? (out.split('\n')[0] ?? null) : null;
  }
}

const version = inotifywaitVersion();

const until = async (check: () => boolean, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const pgrepMarker = (device: string) => {
  try {
    return execFileSync('pgrep', ['-f', `[c]onfwatch-watch:${device}:`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

describeWith('inotifywait (inotify-tools)', version !== null, 'InotifyWatcher on a real inotifywait', () => {
  let dir: string;
  let transport: LocalTransport;
  let requests: CaptureRequest[];
  let scans: string[];
  let watcher: InotifyWatcher;
  const device = `rt-${process.pid}`;

  const startWatcher = async (
    extra: {
      program?: string;
      burstEvents?: number;
      burstPaths?: number;
      debounce?: { settleMs: number };
      onBurst?: (settled: Promise<void>) => void;
      format?: ReturnType<typeof inotifyFormatFor>;
      glob?: string;
    } = {},
  ) => {
    const { glob = `${dir}/**/*.conf`, format = inotifyFormatFor(version), ...options } = extra;
    const watchSet = compileWatchSet(resolveProfiles(device, { profiles: [], watch: [glob], exclude: [] }));
    watcher = new InotifyWatcher({
      device,
      transport,
      tree: watchSet,
      format,
      instanceId: 'test',
      onRequests: (batch) => requests.push(...batch),
      onScanDirs: (dirs) => scans.push(...dirs),
      ...options,
    });
    await watcher.start();
  };

  beforeEach(() => {
    if (version === null) throw new Error('inotifywait is not installed but CI=true: install inotify-tools');
    dir = mkdtempSync(join(tmpdir(), 'cw-rt-'));
    transport = new LocalTransport();
    requests = [];
    scans = [];
  });
  afterEach(async () => {
    await watcher?.stop();
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a plain write, a save by rename and a delete', async () => {
    await startWatcher();
    writeFileSync(join(dir, 'a.conf'), 'one\n');
    await until(() => requests.length === 1, 'the write');
    writeFileSync(join(dir, '.a.conf.tmp'), 'two\n');
    chmodSync(join(dir, '.a.conf.tmp'), 0o640);
    renameSync(join(dir, '.a.conf.tmp'), join(dir, 'a.conf'));
    await until(() => requests.length === 2, 'the rename');
    rmSync(join(dir, 'a.conf'));
    await until(() => requests.length === 3, 'the delete');
    expect(requests.map((r) => [r.path, r.kind])).toEqual([
      [join(dir, 'a.conf'), 'changed'],
      [join(dir, 'a.conf'), 'changed'],
      [join(dir, 'a.conf'), 'deleted'],
    ]);
  });

  it('asks for a scan of a new directory', async () => {
    await startWatcher();
    mkdirSync(join(dir, 'sub'));
    await until(() => scans.includes(join(dir, 'sub')), 'the directory scan');
  });

  it('keeps names with newlines, quotes and shell syntax exact', async () => {
    await startWatcher();
    const name = "x\n$(touch pwned)'`y`|-.conf";
    writeFileSync(join(dir, name), 'z');
    await until(() => requests.length === 1, 'the write');
    expect(requests[0]?.path).toBe(join(dir, name));
  });

  it('asks for a reconcile scan of the directories a burst touched, once it settles', async () => {
    await startWatcher({ burstEvents: 20 });
    mkdirSync(join(dir, 'burst'));
    await until(() => scans.includes(join(dir, 'burst')), 'the new directory scan');
    scans.length = 0;
    for (let i = 0; i < 100; i++) writeFileSync(join(dir, 'burst', `f${i}.conf`), `${i}`);
    await until(() => scans.length > 0, 'the burst scan');
    expect(scans).toEqual([join(dir, 'burst')]);
  });

  it('makes no per-file requests once a burst is recognised, and settles after asking for its scan', async () => {
    let settled: Promise<void> | undefined;
    await startWatcher({ burstEvents: 20, onBurst: (s) => (settled = s) });
    mkdirSync(join(dir, 'burst'));
    await until(() => scans.includes(join(dir, 'burst')), 'the new directory scan');
    scans.length = 0;
    requests.length = 0;
    for (let i = 0; i < 100; i++) writeFileSync(join(dir, 'burst', `f${i}.conf`), `${i}`);
    await until(() => settled !== undefined, 'the burst');
    await settled;
    expect(scans).toEqual([join(dir, 'burst')]);
    expect(requests.length).toBeLessThan(100);
  });

  it('hands the files waiting in the debouncer to the burst scan when too many pile up', async () => {
    let bursts = 0;
    await startWatcher({ burstEvents: 100_000, burstPaths: 20, debounce: { settleMs: 1_000 }, onBurst: () => bursts++ });
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, `f${i}.conf`), `${i}`);
    await until(() => scans.length > 0, 'the burst scan');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(bursts).toBe(1);
    expect(scans).toEqual([dir]);
    expect(requests).toEqual([]);
  });

  it('cannot be made to forge a delete by a directory name holding a newline, with the format of an old inotifywait', async () => {
    await startWatcher({ format: inotifyFormatFor('3.14') });
    const victim = join(dir, 'victim.conf');
    writeFileSync(victim, 'real\n');
    await until(() => requests.some((r) => r.path === victim), 'the victim write');
    // "<dir>/a\nDELETE\t<dir>/victim.conf": the old line format printed its delete as a second line "DELETE\t<dir>/victim.conf"
    const nest = join(dir, 'a\nDELETE\t', dir);
    mkdirSync(nest, { recursive: true });
    await new Promise((r) => setTimeout(r, 300));
    const decoy = join(nest, 'victim.conf');
    writeFileSync(decoy, 'decoy\n');
    await until(() => requests.some((r) => r.path === decoy), 'the decoy write');
    rmSync(decoy);
    await until(() => requests.some((r) => r.path === decoy && r.kind === 'deleted'), 'the decoy delete, read exactly');
    await new Promise((r) => setTimeout(r, 500));
    expect(requests.filter((r) => r.path === victim).map((r) => r.kind)).toEqual(['changed']);
  });

  it('kills its own stale predecessor and leaves no process after stop', async () => {
    await startWatcher();
    const first = watcher;
    await startWatcher();
    expect(await first.ended).toEqual<WatchEnd>({ kind: 'failed', reason: expect.stringMatching(/inotifywait exited/) });
    expect(pgrepMarker(device).split('\n')).toHaveLength(1);
    await watcher.stop();
    await until(() => pgrepMarker(device) === '', 'inotifywait to exit');
  });

  it('falls back to polling when the host reports the watch limit', async () => {
    const wrapper = join(dir, 'bin', 'inotifywait');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(wrapper, "#!/bin/sh\necho 'Failed to watch /x; upper limit on inotify watches reached!' >&2\nexit 1\n", { mode: 0o755 });
    await expect(startWatcher({ program: wrapper })).rejects.toEqual({
      kind: 'fallback',
      reason: expect.stringContaining('upper limit on inotify watches'),
    });
  });

  it('never watches the whole filesystem when a glob has no existing directory but /', async () => {
    await expect(startWatcher({ glob: `/cw-missing-${process.pid}/sites/*.conf` })).rejects.toEqual({
      kind: 'fallback',
      reason: 'no watched directory exists on the host',
    });
    expect(pgrepMarker(device)).toBe('');
  });

  it('falls back to polling when inotifywait is missing', async () => {
    await expect(startWatcher({ program: join(dir, 'nowhere', 'inotifywait') })).rejects.toEqual({
      kind: 'fallback',
      reason: 'inotifywait not installed on host',
    });
  });
});
