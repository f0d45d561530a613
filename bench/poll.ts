/**
 * `poll`: 10,000 unchanged files in 100 directories on an SSH device over
 * loopback. Reports one poll cycle's wall time, remote commands and bytes
 * (counted at the transport), then 10 changed files: what was fetched.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureService } from '../src/detect/capture.js';
import { Correlator } from '../src/detect/correlator.js';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { createMasterKeyFile } from '../src/store/keyring.js';
import { openStore } from '../src/store/open-store.js';
import type { ProfileRecord } from '../src/store/records.js';
import { SshTransport } from '../src/transport/ssh/ssh.transport.js';
import type { Transport } from '../src/transport/transport.js';
import { Scanner } from '../src/watch/scanner.js';
import { compileWatchSet } from '../src/devices/watch-set.js';
import { startSshd } from './helpers/sshd.js';

const DIRS = 100;
const FILES_PER_DIR = 100;
const CHANGED = 10;

/** Counts requests and bytes (script + output) at the transport. */
export function countingTransport(inner: Transport) {
  const traffic = { commands: 0, bytes: 0 };
  const transport: Transport = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'run' || key === 'exec') {
        return async (script: Parameters<Transport['run']>[0], options?: Parameters<Transport['run']>[1]) => {
          const result = await target[key](script, options);
          traffic.commands += 1;
          traffic.bytes += ('bytes' in script ? script.bytes.length : 0) + result.stdout.length + result.stderr.length;
          return result;
        };
      }
      if (key === 'readFile' || key === 'stat' || key === 'stream') throw new Error(`poll must not use ${key}`);
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { transport, traffic };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function run(): Promise<object> {
  const sshd = await startSshd();
  const home = mkdtempSync(join(tmpdir(), 'cw-bench-poll-home-'));
  const root = mkdtempSync(join(tmpdir(), 'cw-bench-poll-'));
  createMasterKeyFile(home);
  const store = await openStore({ home });
  const ssh = new SshTransport({ host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } });
  const { transport, traffic } = countingTransport(ssh);
  try {
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(root, `site${d}`));
      for (let f = 0; f < FILES_PER_DIR; f++) {
        writeFileSync(join(root, `site${d}`, `app${f}.conf`), `server {\n  listen 80;\n  server_name app${f}.site${d}.example;\n  root /srv/www/${d}/${f};\n}\n`);
      }
    }
    const profile: ProfileRecord = {
      device: 'bench',
      name: 'custom',
      configType: 'nginx',
      paths: [`${root}/**/*.conf`],
      exclude: [],
      pollIntervalSec: 5,
      maxFileBytes: 1024 * 1024,
      validateCommand: null,
      reloadCommand: null,
      validateOnCapture: false,
      autoReconcile: 'off',
    };
    const device = await store.addDevice(
      { name: 'bench', transport: 'ssh', host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath, hostKey: sshd.hostKeyFingerprint, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [], passphrase: null },
      [profile],
    );
    const watchSet = compileWatchSet([profile]);
    const bus = new MemoryEventBus();
    const correlator = new Correlator({ device: 'bench', store, bus });
    const capture = new CaptureService({ device, watchSet, transport, store, bus, correlator });
    const scanner = new Scanner({ device, watchSet, transport, store, capture });

    const measure = async (source: 'poll' | 'rescan') => {
      const before = { ...traffic };
      const started = performance.now();
      const result = await scanner.scan(source);
      return {
        wallMs: Math.round(performance.now() - started),
        remoteCommands: traffic.commands - before.commands,
        bytesTransferred: traffic.bytes - before.bytes,
        listed: result.listed,
        changed: result.changed,
        stored: result.stored,
      };
    };

    const initial = await measure('poll');
    // files written within the marker's 2 s safety margin are hashed once more; let it pass
    await new Promise((r) => setTimeout(r, 2_500));
    await measure('poll');
    const unchanged = [await measure('poll'), await measure('poll'), await measure('poll')];

    for (let i = 0; i < CHANGED; i++) {
      writeFileSync(join(root, `site${i * 7}`, `app${i}.conf`), `server { listen 8${i}; }\n`);
    }
    const changed = await measure('poll');
    const rescan = await measure('rescan');
    await correlator.flush();

    return {
      scenario: 'poll',
      parameters: { transport: 'ssh loopback', files: DIRS * FILES_PER_DIR, dirs: DIRS, changedFiles: CHANGED, store: 'sqlite' },
      initialScan: initial,
      unchangedPoll: {
        wallMsMedian: median(unchanged.map((u) => u.wallMs)),
        wallMs: unchanged.map((u) => u.wallMs),
        remoteCommands: unchanged[0]?.remoteCommands,
        bytesTransferred: unchanged[0]?.bytesTransferred,
        listed: unchanged[0]?.listed,
        stored: unchanged[0]?.stored,
      },
      tenChanged: { ...changed, contentsFetched: changed.changed },
      fullRescanUnchanged: rescan,
      targets: { unchangedPollWallMs: 500, remoteCommands: 1, bytesTransferred: 200 * 1024 },
    };
  } finally {
    await ssh.close();
    await store.close();
    await sshd.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
