/**
 * `fleet`: many SSH devices (default 200) monitored in realtime by one
 * Monitor: one sshd on loopback, one watched directory per device. Reports
 * the time from start until every device is realtime, the RSS and the idle
 * CPU of the monitoring process, then how long one edit on every device
 * takes to arrive, and that stopping leaves no inotifywait behind.
 * `--devices N` and `--idle-seconds S` change the defaults (200, 60).
 *
 * The monitor runs in a child process (this same module, started with
 * CHILD_FLAG), so its RSS and CPU figures contain nothing of the set-up.
 *
 * inotify limits are per user, and one host user could hold only 128
 * inotifywait instances here: each device logs in as its own Unix user,
 * created (with its own authorized_keys) and deleted by the benchmark, as
 * separate hosts would be. No system limit is changed.
 */
import { execFileSync, fork } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { openStore } from '../src/store/open-store.js';
import { defaultMonitorParts, Monitor } from '../src/watch/monitor.js';
import { sleep } from './helpers/wait.js';
import { type RunningSshd, startSshd } from './helpers/sshd.js';
import { openStoreWithKey, sshDevice, watching } from './helpers/store.js';

const CHILD_FLAG = '--fleet-monitor-child';
const USER_PREFIX = 'cwfleet';
const DEVICE_PREFIX = 'fleet-';
const FILES_PER_DEVICE = 5;
/** Time after the last device turned realtime before the idle window opens (late scans and captures end). */
const SETTLE_MS = 5_000;
const REALTIME_TIMEOUT_MS = 120_000;
const EDIT_TIMEOUT_MS = 60_000;

interface FleetParameters {
  readonly devices: number;
  readonly idleSeconds: number;
}

/** One simulated host: a Unix user and the directory its device watches. */
interface FleetUser {
  readonly name: string;
  readonly device: string;
  readonly dir: string;
}

/** What the parent hands the monitoring child. */
interface ChildInput {
  readonly home: string;
  readonly idleSeconds: number;
  /** Watched directory per device name. */
  readonly dirs: Record<string, string>;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const round1 = (n: number) => Math.round(n * 10) / 10;
const numbered = (prefix: string, i: number) => `${prefix}${String(i).padStart(3, '0')}`;

/** Per-phase progress on stderr; stdout carries only the final JSON. */
const phase = (name: string, figures: object) => process.stderr.write(`fleet: ${name} ${JSON.stringify(figures)}\n`);

function parseArgs(args: readonly string[]): FleetParameters {
  const value = (flag: string, fallback: number): number => {
    const i = args.indexOf(flag);
    if (i < 0) return fallback;
    const n = Number(args[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  return { devices: value('--devices', 200), idleSeconds: value('--idle-seconds', 60) };
}

const idOf = (flag: '-u' | '-g', name: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));

const userExists = (name: string) => {
  try {
    idOf('-u', name);
    return true;
  } catch {
    return false;
  }
};

function removeUser(name: string): void {
  if (userExists(name)) execFileSync('userdel', ['-r', '-f', name], { stdio: 'ignore' });
}

function createFleetUser(i: number, publicKey: Buffer): FleetUser {
  const name = numbered(USER_PREFIX, i);
  removeUser(name); // left over from an interrupted run
  // Password `*`, not useradd's locked `!`: without PAM, sshd refuses every login of a locked account.
  execFileSync('useradd', ['-m', '-p', '*', '-s', '/bin/sh', name], { stdio: 'ignore' });
  const home = `/home/${name}`;
  const [uid, gid] = [idOf('-u', name), idOf('-g', name)];
  const dir = join(home, 'conf');
  const keys = join(home, '.ssh', 'authorized_keys');
  for (const sub of [join(home, '.ssh'), dir]) {
    mkdirSync(sub, { recursive: true });
    chownSync(sub, uid, gid);
  }
  writeFileSync(keys, publicKey, { mode: 0o600 });
  chownSync(keys, uid, gid);
  for (let f = 0; f < FILES_PER_DEVICE; f++) writeFileSync(join(dir, `app${f}.conf`), `# ${name}\nlisten ${8000 + f};\n`);
  return { name, device: numbered(DEVICE_PREFIX, i), dir };
}

async function registerDevices(home: string, sshd: RunningSshd, users: readonly FleetUser[]): Promise<void> {
  const store = await openStoreWithKey(home);
  try {
    for (const user of users) {
      await store.addDevice(sshDevice(user.device, sshd, { user: user.name, tags: ['fleet'] }), watching(user.device, `${user.dir}/**/*.conf`));
    }
  } finally {
    await store.close();
  }
}

/** Starts the monitoring child and resolves with its figures. */
async function runMonitorChild(input: ChildInput): Promise<object> {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    execArgv: ['--import', 'tsx'],
    // Anything it prints goes to stderr: stdout carries only the benchmark's JSON.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const result = new Promise<object>((resolve, reject) => {
    child.once('message', (message) => resolve(message as object));
    child.once('exit', (code) => reject(new Error(`monitoring process exited with ${code} before reporting`)));
  });
  child.send(input);
  try {
    return await result;
  } finally {
    await exited;
  }
}

/** inotifywait processes of fleet devices still running on the host. */
function leftoverWatchers(): number {
  try {
    return execFileSync('pgrep', ['-f', `[c]onfwatch-watch:${DEVICE_PREFIX}`], { encoding: 'utf8' }).trim().split('\n').length;
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

export async function run(args: string[]): Promise<object> {
  const parameters = parseArgs(args);
  const loadBefore = loadavg().map(round1);
  // Relative to each user's home: sshd reads it there, as that user.
  const sshd = await startSshd({ authorizedKeysFile: '.ssh/authorized_keys' });
  const home = mkdtempSync(join(tmpdir(), 'cw-bench-fleet-home-'));
  const users: FleetUser[] = [];
  try {
    const setupStart = performance.now();
    const publicKey = readFileSync(`${sshd.clientKeyPath}.pub`);
    for (let i = 0; i < parameters.devices; i++) users.push(createFleetUser(i, publicKey));
    await registerDevices(home, sshd, users);
    phase('setup', { users: users.length, ms: Math.round(performance.now() - setupStart) });
    const figures = await runMonitorChild({
      home,
      idleSeconds: parameters.idleSeconds,
      dirs: Object.fromEntries(users.map((u) => [u.device, u.dir])),
    });
    return {
      parameters: {
        ...parameters,
        filesPerDevice: FILES_PER_DEVICE,
        settleMs: SETTLE_MS,
        transport: 'ssh over loopback, one sshd',
        inotifyLimits: 'one Unix user per device (created and deleted by the benchmark); no limit raised',
        store: 'sqlite',
      },
      ...figures,
      leftoverInotifywait: leftoverWatchers(),
      loadAverage: { before: loadBefore, after: loadavg().map(round1) },
      target: { allRealtimeMs: 30_000, rssMB: 300, idleCpuPercentOfOneCore: 2, stopMs: 3_000 },
    };
  } finally {
    await sshd.stop();
    for (const user of users) removeUser(user.name);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs in the child: monitors every device of the store and measures this process only. */
async function monitorFleet(input: ChildInput): Promise<object> {
  const devices = Object.keys(input.dirs);
  const store = await openStore({ home: input.home });
  const bus = new MemoryEventBus();
  const modes = new Map<string, string>();
  /** One reason per mode other than realtime, to say why devices are not realtime. */
  const reasons = new Map<string, string>();
  const editSeen = new Map<string, number>();
  const editPath = (device: string) => join(input.dirs[device] as string, 'edit.conf');
  bus.subscribe((event) => {
    if (event.type === 'watch.mode') {
      modes.set(event.device, event.mode);
      if (event.mode !== 'realtime') reasons.set(event.mode, event.reason);
    }
    if (event.type === 'config.changed' && event.path === editPath(event.device) && !editSeen.has(event.device)) {
      editSeen.set(event.device, performance.now());
    }
  });
  const countMode = (mode: string) => devices.filter((d) => modes.get(d) === mode).length;
  const until = async (condition: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition() && Date.now() < deadline) await sleep(100);
    return condition();
  };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 1_000);

  const monitor = new Monitor({ store, bus, parts: defaultMonitorParts() });
  const start = performance.now();
  await monitor.start();
  const allRealtime = await until(() => countMode('realtime') === devices.length, REALTIME_TIMEOUT_MS);
  const realtime = {
    allRealtime,
    allRealtimeMs: Math.round(performance.now() - start),
    realtime: countMode('realtime'),
    polling: countMode('polling'),
    degraded: countMode('degraded'),
    otherModeReasons: Object.fromEntries(reasons),
    rssMB: mb(process.memoryUsage().rss),
  };
  phase('realtime', realtime);

  await sleep(SETTLE_MS);
  const cpuBefore = process.cpuUsage();
  const idleStart = performance.now();
  await sleep(input.idleSeconds * 1_000);
  const cpu = process.cpuUsage(cpuBefore);
  const idleWallUs = (performance.now() - idleStart) * 1_000;
  const idle = {
    seconds: input.idleSeconds,
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / idleWallUs) * 10_000) / 100,
    rssMB: mb(process.memoryUsage().rss),
    stillRealtime: countMode('realtime'),
  };
  phase('idle', idle);

  const editStart = performance.now();
  for (const device of devices) writeFileSync(editPath(device), `# edited on ${device}\n`);
  await until(() => editSeen.size === devices.length, EDIT_TIMEOUT_MS);
  const arrivals = [...editSeen.values()].map((t) => t - editStart).sort((a, b) => a - b);
  const edits = {
    devicesEdited: devices.length,
    recorded: editSeen.size,
    p50ArrivalMs: Math.round(arrivals[Math.floor(arrivals.length / 2)] ?? Number.NaN),
    lastArrivalMs: Math.round(arrivals.at(-1) ?? Number.NaN),
  };
  phase('one edit per device', edits);

  const stopStart = performance.now();
  await monitor.stop();
  const stop = { ms: Math.round(performance.now() - stopStart) };
  phase('stop', stop);
  clearInterval(sampler);
  await store.close();
  return { realtime, idle, edits, stop, stopMs: stop.ms, peakRssMB: mb(peakRss) };
}

if (process.argv.includes(CHILD_FLAG)) {
  process.once('message', (input) => {
    monitorFleet(input as ChildInput)
      .then((figures) => process.send?.(figures, () => process.exit(0)))
      .catch((error: unknown) => {
        process.stderr.write(`fleet monitor failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      });
  });
}
