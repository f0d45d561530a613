/**
 * Simulated remote hosts for integration tests (SPEC §8 "Several hosts /
 * partitions"): each host is a network namespace joined to this one by a
 * veth pair on a private /30, with its own sshd listening inside. Taking
 * the host-side veth down cuts the link without telling either end, the
 * way a real partition does; bringing it up heals it. Processes in the
 * namespace share this machine's filesystem and process table, so a test
 * edits the host's files with plain fs calls.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { commandExists, describeWith } from './components.js';
import { type RunningSshd, type SshdOptions, sshdAvailable, startSshd } from './sshd.js';

/** Every simulated host gets one /30 out of this /16. */
const SUBNET_PREFIX = '10.231';

export interface NetnsHost {
  /** The namespace's name (`cw-…`). */
  readonly namespace: string;
  /** The veth end in this namespace; partition() and heal() switch it. */
  readonly hostVeth: string;
  /** The address inside the namespace, where its sshd listens. */
  readonly address: string;
  /** The sshd running inside the namespace (host = `address`). */
  readonly sshd: RunningSshd;
  /** Cuts the link: the host-side veth goes down, open connections stall, new ones fail. */
  partition(): void;
  /** Restores the link cut by partition(). */
  heal(): void;
  /** Stops the sshd and removes the namespace and veth pair; safe to call twice. */
  destroy(): Promise<void>;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** True when network namespaces can be made here: root, iproute2 and sshd. */
export function netnsAvailable(): boolean {
  return userInfo().uid === 0 && commandExists('ip') && sshdAvailable();
}

/** `describe` for suites that need namespaces: fails under CI=true when they cannot be made, skips visibly elsewhere. */
export function describeWithNetns(name: string, body: () => void): void {
  describeWith('root with iproute2 (ip netns) and OpenSSH sshd', netnsAvailable(), name, body);
}

/** A /30 whose third octet no interface here uses yet. */
function freeSubnet(): string {
  const used = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  for (let attempt = 0; attempt < 64; attempt++) {
    const subnet = `${SUBNET_PREFIX}.${randomBytes(1)[0]}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error(`no free ${SUBNET_PREFIX}.x.0/30 subnet left`);
}

/**
 * While the veth is down its connected route is gone, and without this
 * fallback packets for the namespace would follow the default route out of
 * the machine. Its high metric keeps it behind the connected route.
 */
const fenceRoute = (subnet: string) => ['unreachable', `${subnet}.0/30`, 'metric', '4096'];

/** Best-effort teardown: the fence route, the veth (deleting one end deletes both) and the namespace. */
function removeLink(namespace: string, hostVeth: string, subnet: string): void {
  for (const args of [['route', 'del', ...fenceRoute(subnet)], ['link', 'del', hostVeth], ['netns', 'del', namespace]]) {
    try {
      ip(...args);
    } catch {
      // already gone
    }
  }
}

/**
 * Creates a namespace with a veth link and starts sshd inside it. Anything
 * made before a failure is removed again; a process exit removes the link
 * too, so a crashed run does not leave namespaces behind.
 */
export async function startNetnsHost(options: Omit<SshdOptions, 'listenAddress' | 'launcher'> = {}): Promise<NetnsHost> {
  const id = randomBytes(3).toString('hex');
  const namespace = `cw-${id}`;
  const hostVeth = `cwh${id}`;
  const innerVeth = `cwn${id}`;
  const subnet = freeSubnet();
  const address = `${subnet}.2`;
  const cleanupOnExit = () => removeLink(namespace, hostVeth, subnet);
  process.once('exit', cleanupOnExit);
  let sshd: RunningSshd;
  try {
    ip('route', 'add', ...fenceRoute(subnet));
    ip('netns', 'add', namespace);
    ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', innerVeth);
    ip('link', 'set', innerVeth, 'netns', namespace);
    ip('addr', 'add', `${subnet}.1/30`, 'dev', hostVeth);
    ip('link', 'set', hostVeth, 'up');
    ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${address}/30`, 'dev', innerVeth);
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', innerVeth, 'up');
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
    sshd = await startSshd({ ...options, listenAddress: address, launcher: ['ip', 'netns', 'exec', namespace] });
  } catch (error) {
    cleanupOnExit();
    process.off('exit', cleanupOnExit);
    throw error;
  }
  let destroyed = false;
  return {
    namespace,
    hostVeth,
    address,
    sshd,
    partition: () => ip('link', 'set', hostVeth, 'down'),
    heal: () => ip('link', 'set', hostVeth, 'up'),
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      try {
        await sshd.stop();
      } finally {
        cleanupOnExit();
        process.off('exit', cleanupOnExit);
      }
    },
  };
}
