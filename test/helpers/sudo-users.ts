/**
 * Throwaway Unix users behind a real sshd, with or without a sudoers
 * drop-in, for testing `--sudo`. Creating users and sudoers entries needs
 * root; `sudoProblem()` says what is missing, for describeUnless.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import { commandExists } from './components.js';
import { type RunningSshd, sshdAvailable, startSshd } from './sshd.js';

/** The rule the README documents: sh only, which every sudo operation goes through. */
export const NOPASSWD_SH = 'NOPASSWD: /bin/sh, /usr/bin/sh';

/** Why users with sudoers entries cannot be made here, or null. */
export function sudoProblem(): string | null {
  if (!sshdAvailable()) return 'OpenSSH sshd is not installed (apt-get install openssh-server)';
  if (process.getuid?.() !== 0) return 'creating test users and sudoers entries needs root';
  for (const tool of ['sudo', 'visudo', 'useradd', 'userdel']) {
    if (!commandExists(tool)) return `${tool} is not installed (apt-get install sudo passwd)`;
  }
  return null;
}

export interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface SudoHost {
  /** A 0755 directory for the test's files, removed by stop(). */
  readonly base: string;
  readonly sshd: RunningSshd;
  /**
   * Adds a login user (`<prefix><unique tag>`) who may log in with the
   * sshd's client key; with `sudoRule` (e.g. NOPASSWD_SH), a sudoers entry
   * `<user> ALL=(root) <sudoRule>`.
   */
  addUser(prefix: string, sudoRule?: string): TestUser;
  /** An SshTransport logging in as `user`. */
  transportFor(user: TestUser): SshTransport;
  /** Stops sshd, removes the users, their sudoers entries and `base`. */
  stop(): Promise<void>;
}

export async function startSudoHost(prefix = 'cw-sudo-'): Promise<SudoHost> {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const base = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(base, 0o755);
  mkdirSync(join(base, 'keys'), { mode: 0o755 });
  const users: string[] = [];
  const sudoersFiles: string[] = [];
  let sshd: RunningSshd;
  try {
    sshd = await startSshd({ authorizedKeysFile: join(base, 'keys', '%u') });
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw error;
  }

  return {
    base,
    sshd,
    addUser(userPrefix, sudoRule) {
      const name = `${userPrefix}${tag}`;
      // '*' (no password) rather than useradd's '!' (locked): sshd without PAM refuses locked accounts even for keys
      execFileSync('useradd', ['-m', '-d', join(base, `home-${name}`), '-s', '/bin/sh', '-p', '*', name], { stdio: 'ignore' });
      users.push(name);
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));
      const user = { name, uid: id('-u'), gid: id('-g') };
      // sshd reads authorized keys as the user, so the file is the user's
      const keys = join(base, 'keys', name);
      writeFileSync(keys, readFileSync(`${sshd.clientKeyPath}.pub`), { mode: 0o600 });
      chownSync(keys, user.uid, user.gid);
      if (sudoRule !== undefined) {
        // sudoers.d ignores files whose names contain a dot
        const file = `/etc/sudoers.d/confwatch-test-${name}`;
        sudoersFiles.push(file);
        writeFileSync(file, `${name} ALL=(root) ${sudoRule}\n`, { mode: 0o440 });
        try {
          execFileSync('visudo', ['-cf', file], { stdio: 'ignore' });
        } catch (error) {
          // a broken drop-in would break sudo for every user of the host
          rmSync(file, { force: true });
          throw error;
        }
      }
      return user;
    },
    transportFor: (user) =>
      new SshTransport({ host: sshd.host, port: sshd.port, user: user.name, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } }),
    async stop() {
      await sshd.stop();
      for (const file of sudoersFiles) rmSync(file, { force: true });
      for (const name of users) {
        // sessions of the user may still be ending; userdel refuses while they run
        try {
          execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
        } catch {
          // none left
        }
        execFileSync('userdel', ['-r', '-f', name], { stdio: 'ignore' });
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
