/**
 * `drift`: a drift check of 5,000 tracked files (`--files N`) on a device
 * read through real `sudo -n` over a loopback sshd (root's login, which sudo
 * admits). Reports the whole check's wall time (reading the host and
 * updating every tracked row), the host part alone, and the scripts sent.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { compileWatchSet } from '../src/devices/watch-set.js';
import { WritebackRepository } from '../src/store/writeback.repository.js';
import { SshTransport } from '../src/transport/ssh/ssh.transport.js';
import type { Transport } from '../src/transport/transport.js';
import { checkDrift } from '../src/writeback/drift.js';
import { observeFiles, scopeFor } from '../src/writeback/live-state.js';
import { startSshd } from './helpers/sshd.js';
import { openTempStore, sshDevice, watching } from './helpers/store.js';

const DIRS = 50;
const ROUNDS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export async function run(args: string[]): Promise<object> {
  const at = args.indexOf('--files');
  const files = at === -1 ? 5_000 : Number(args[at + 1]);
  const sshd = await startSshd();
  const temp = await openTempStore('cw-bench-drift-home-');
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-drift-'));
  const scripts: number[] = [];
  try {
    const paths: string[] = [];
    for (let d = 0; d < DIRS; d++) mkdirSync(join(dir, `d${d}`));
    for (let i = 0; i < files; i++) {
      const path = join(dir, `d${i % DIRS}`, `file-${i}.conf`);
      writeFileSync(path, `value = ${i}\n`, { mode: 0o600 });
      paths.push(path);
    }
    const { store } = temp;
    await store.addDevice(sshDevice('drift', sshd, { sudo: true, mode: 'polling' }), watching('drift', `${dir}/**`));
    const detectedAt = new Date().toISOString();
    await store.recordSnapshots(
      paths.map((path, i) => ({ device: 'drift', path, configType: 'generic', profile: 'custom', changeType: 'initial', source: 'poll', content: Buffer.from(`value = ${i}\n`), detectedAt, setBaseline: true })),
    );
    writeFileSync(paths[0]!, 'edited\n');
    const transport = new SshTransport({ host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } });
    const counting: Transport = new Proxy(transport, {
      get(target, key, receiver) {
        if (key === 'run') {
          return (script: Parameters<Transport['run']>[0], options?: Parameters<Transport['run']>[1]) => {
            scripts.push(script.bytes.length);
            return target.run(script, options);
          };
        }
        if (key === 'close') return async () => undefined;
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deps = { store, repo: new WritebackRepository(store), watchSetOf: async (name: string) => compileWatchSet(await store.listProfiles(name)), bus: new MemoryEventBus(), transportFor: async () => counting, validate: async () => {
        throw new Error('a drift check validates nothing');
      },
    };
    const scope = await scopeFor(deps, 'drift');
    // one round to warm the connection and sudo
    await observeFiles(counting, paths, { sudo: true, scope });
    const host: number[] = [];
    const whole: number[] = [];
    let findings = 0;
    for (let r = 0; r < ROUNDS; r++) {
      scripts.length = 0;
      let started = performance.now();
      await observeFiles(counting, paths, { sudo: true, scope });
      host.push(performance.now() - started);
      started = performance.now();
      findings = (await checkDrift(deps, 'drift')).findings.length;
      whole.push(performance.now() - started);
    }
    await transport.close();
    return {
      parameters: { files, dirs: DIRS, sudo: true, rounds: ROUNDS },
      figures: {
        driftCheckMs: Math.round(median(whole)),
        hostReadMs: Math.round(median(host)),
        scriptsPerCheck: scripts.length / 2,
        largestScriptBytes: Math.max(...scripts),
        findings,
      },
    };
  } finally {
    await temp.close();
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
