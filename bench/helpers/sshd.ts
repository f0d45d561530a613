/**
 * A real OpenSSH sshd on loopback for benchmarks and integration tests:
 * its own generated host and client keys, internal-sftp, no PAM. Free of
 * any test framework, so benches use it directly and test/helpers/sshd.ts
 * adds the suite helpers on top.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'];

/** Path of the sshd binary, or null when OpenSSH server is not installed. */
export function sshdPath(): string | null {
  return SSHD_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** True when sshd and ssh-keygen can be used. */
export function sshdAvailable(): boolean {
  if (!sshdPath()) return false;
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (e) {
    return (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== 'ENOENT';
  }
  return true;
}

export interface SshdOptions {
  /** Path of an existing private host key to use instead of generating one. */
  readonly hostKey?: string;
  /** Port to listen on; default a free port. */
  readonly port?: number;
  /** Address to listen on and to be reached at. Default 127.0.0.1. */
  readonly listenAddress?: string;
  /** Command prefix that starts sshd elsewhere, e.g. `['ip', 'netns', 'exec', ns]`; it must exec sshd in place. Default none. */
  readonly launcher?: readonly string[];
  /** sshd's AuthorizedKeysFile (relative paths are per user home). Default a generated file holding the client key. */
  readonly authorizedKeysFile?: string;
  /** More public keys (`.pub` file contents) the generated authorized_keys accepts besides the client key. */
  readonly authorizedKeys?: readonly string[];
  /** sshd's LogLevel. Default ERROR; INFO logs each accepted login (see `acceptedLogins`). */
  readonly logLevel?: 'ERROR' | 'INFO';
}

export interface RunningSshd {
  /** The listen address (127.0.0.1 unless `listenAddress` was given). */
  readonly host: string;
  readonly port: number;
  /** The user the client key logs in as (the test's own user). */
  readonly user: string;
  /** Private key (no passphrase) that this sshd accepts. */
  readonly clientKeyPath: string;
  /** Private host key path (pass it to another startSshd to reuse). */
  readonly hostKeyPath: string;
  /** `SHA256:…` as OpenSSH prints it. */
  readonly hostKeyFingerprint: string;
  /** Stops the listener and every session. */
  stop(): Promise<void>;
  /** Kills the per-connection sshd processes (and their sessions): a dropped link. */
  killSessions(): void;
  /** Stops and starts again on the same port with the same keys. */
  restart(): Promise<void>;
  /** How many `Accepted …` lines sshd has logged: one per authenticated connection (needs `logLevel: 'INFO'`). */
  acceptedLogins(): number;
}

export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'confwatch-test', '-f', path], { stdio: 'ignore' });
}

/** `SHA256:…` fingerprint of a key file, as `ssh-keygen -l` prints it. */
export function fingerprintOf(keyPath: string): string {
  const line = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', keyPath], { encoding: 'utf8' });
  const fp = line.split(' ')[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen output: ${line}`);
  return fp;
}

/** Direct and indirect children of a process (from /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const line of execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!child || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

async function waitForPort(host: string, port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSshd(options: SshdOptions = {}): Promise<RunningSshd> {
  const sshd = sshdPath();
  if (!sshd) throw new Error('OpenSSH sshd is not installed');
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'cw-sshd-'));
  const hostKeyPath = options.hostKey ?? join(dir, 'host_key');
  if (!options.hostKey) keygen(hostKeyPath);
  const clientKeyPath = join(dir, 'client_key');
  keygen(clientKeyPath);
  const accepted = [readFileSync(`${clientKeyPath}.pub`, 'utf8'), ...(options.authorizedKeys ?? [])].map((k) => `${k.trim()}\n`);
  writeFileSync(join(dir, 'authorized_keys'), accepted.join(''), { mode: 0o600 });
  const port = options.port ?? (await freePort());
  const host = options.listenAddress ?? '127.0.0.1';
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${hostKeyPath}`,
      `AuthorizedKeysFile ${options.authorizedKeysFile ?? join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'Subsystem sftp internal-sftp',
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin yes',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'MaxSessions 64',
      'MaxStartups 200:30:400',
      `LogLevel ${options.logLevel ?? 'ERROR'}`,
      '',
    ].join('\n'),
  );

  let child: ChildProcess;
  let log = '';
  let partial = '';
  let logins = 0;
  const launch = async () => {
    log = '';
    partial = '';
    const [program = sshd, ...args] = [...(options.launcher ?? []), sshd, '-D', '-f', config, '-e'];
    child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-4000);
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop() ?? '';
      logins += lines.filter((line) => line.startsWith('Accepted ')).length;
    });
    await waitForPort(host, port, child, () => log);
  };
  const killSessions = () => {
    if (child.pid === undefined) return;
    for (const pid of descendants(child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const stopListener = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  await launch();

  return {
    host,
    port,
    user: userInfo().username,
    clientKeyPath,
    hostKeyPath,
    hostKeyFingerprint: fingerprintOf(hostKeyPath),
    killSessions,
    acceptedLogins: () => logins,
    stop: async () => {
      killSessions();
      await stopListener();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      killSessions();
      await stopListener();
      await launch();
    },
  };
}
