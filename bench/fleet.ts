/**
 * `fleet`: 200 SSH devices (one sshd on loopback, one directory each) in
 * realtime. Reports how long until every device is realtime, confwatch's
 * RSS, and its CPU use while idle over 60 s.
 *
 * Every simulated device logs in as the same user here, so they share that
 * user's inotify limits: `fs.inotify.max_user_instances` (one per
 * inotifywait) is raised for the run when it is below what the fleet needs
 * (and restored afterwards); the figures say so.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { createMasterKeyFile } from '../src/store/keyring.js';
import { openStore } from '../src/store/open-store.js';
import { defaultMonitorParts, Monitor } from '../src/watch/monitor.js';
import { resolveProfiles } from '../src/watch/profiles.js';
import { startSshd } from '../test/helpers/sshd.js';

const DEVICES = 200;
const IDLE_MS = 60_000;
const REALTIME_DEADLINE_MS = 120_000;
const INSTANCES_SYSCTL = '/proc/sys/fs/inotify/max_user_instances';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Raises the per-user inotify instance limit when needed; returns a restore function and what was done. */
function ensureInstances(needed: number): { restore: () => void; note: string } {
  const before = Number(readFileSync(INSTANCES_SYSCTL, 'utf8').trim());
  if (before >= needed) return { restore: () => {}, note: `max_user_instances ${before} (unchanged)` };
  writeFileSync(INSTANCES_SYSCTL, String(needed));
  return { restore: () => writeFileSync(INSTANCES_SYSCTL, String(before)), note: `max_user_instances raised from ${before} to ${needed} for the run` };
}

export async function run(): Promise<object> {
  const limits = ensureInstances(DEVICES + 64);
  const sshd = await startSshd();
  const home = mkdtempSync(join(tmpdir(), 'cw-fleet-home-'));
  const data = mkdtempSync(join(tmpdir(), 'cw-fleet-data-'));
  createMasterKeyFile(home);
  const store = await openStore({ home });
  const bus = new MemoryEventBus();
  const realtimeAt = new Map<string, number>();
  bus.subscribe((event) => {
    if (event.type === 'watch.mode' && event.mode === 'realtime' && !realtimeAt.has(event.device)) {
      realtimeAt.set(event.device, performance.now());
    }
  });
  for (let i = 0; i < DEVICES; i++) {
    const name = `fleet-${i}`;
    const dir = join(data, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.conf'), `device ${i}\n`);
    await store.addDevice(
      {
        name,
        transport: 'ssh',
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        identityFile: sshd.clientKeyPath,
        hostKey: sshd.hostKeyFingerprint,
        mode: 'realtime',
        pollIntervalSec: null,
        sudo: false,
        jump: null,
        tags: [],
      },
      resolveProfiles(name, { profiles: [], watch: [`${dir}/*.conf`], exclude: [] }),
    );
  }

  const monitor = new Monitor({ store, bus, parts: defaultMonitorParts() });
  const started = performance.now();
  try {
    await monitor.start();
    while (realtimeAt.size < DEVICES && performance.now() - started < REALTIME_DEADLINE_MS) await sleep(100);
    const reachedMs = [...realtimeAt.values()].map((t) => Math.round(t - started)).sort((a, b) => a - b);
    const rssAfterStartMiB = Math.round(process.memoryUsage().rss / 2 ** 20);

    const cpuBefore = process.cpuUsage();
    const idleStart = performance.now();
    let peakRss = process.memoryUsage().rss;
    while (performance.now() - idleStart < IDLE_MS) {
      await sleep(1_000);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const idleCpuPercent = Math.round(((cpu.user + cpu.system) / 1_000 / (performance.now() - idleStart)) * 10_000) / 100;

    return {
      parameters: { devices: DEVICES, idleMs: IDLE_MS, transport: 'ssh over loopback, one sshd', limits: limits.note },
      realtimeWithinDeadline: reachedMs.length,
      realtimeMs: { half: reachedMs[Math.floor(DEVICES / 2) - 1] ?? null, all: reachedMs.length === DEVICES ? reachedMs.at(-1) : null },
      rssAfterStartMiB,
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      idleCpuPercentOfOneCore: idleCpuPercent,
      target: { allRealtimeMs: 30_000, rssMiB: 300, idleCpuPercent: 2 },
      realtimeDeadlineMs: REALTIME_DEADLINE_MS,
    };
  } finally {
    await monitor.stop();
    await store.close();
    await sshd.stop();
    limits.restore();
    rmSync(home, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
}
