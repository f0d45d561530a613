/**
 * SSH authentication through the CLI against a real sshd: an identity file
 * with a passphrase (stored encrypted), and a real ssh-agent.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CliResult, runCli, tempHome } from '../helpers/cli.js';
import { commandExists, describeUnless } from '../helpers/components.js';
import { describeWithSshd, type RunningSshd, sshdAvailable, startSshd } from '../helpers/sshd.js';

const PASSPHRASE = 'zebra-Quartz-7731 passphrase';

/** One line on stderr, no stack trace, the documented exit code. */
function expectOneLineError(r: CliResult, code: number): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^confwatch: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describeWithSshd('confwatch device with a passphrase-protected identity file', () => {
  const t = tempHome();
  const keyDir = mkdtempSync(join(tmpdir(), 'cw-key-'));
  const key = join(keyDir, 'id_ed25519');
  let sshd: RunningSshd;

  beforeAll(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'confwatch-passphrase-test', '-f', key]);
    sshd = await startSshd({ authorizedKeys: [readFileSync(`${key}.pub`, 'utf8')] });
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
  });
  afterAll(async () => {
    await sshd?.stop();
    t.remove();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const add = (name: string, extra: string[], stdin?: string) =>
    runCli(
      ['device', 'add', name, '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user, '--identity', key, '--profile', 'sshd', '--host-key', sshd.hostKeyFingerprint, ...extra],
      { env: t.env, ...(stdin === undefined ? {} : { stdin }) },
    );

  it('connects with the passphrase read from stdin, which is stored only encrypted and never printed', async () => {
    const added = await add('locked', ['--passphrase-stdin', '--json'], `${PASSPHRASE}\n`);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({ name: 'locked', identityFile: key, hasPassphrase: true });

    const check = await runCli(['device', 'check', 'locked', '--json'], { env: t.env });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.json()).toMatchObject({ name: 'locked', reachable: true, hostKey: sshd.hostKeyFingerprint });

    const human = await runCli(['device', 'check', 'locked'], { env: t.env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^locked: reachable/);

    const outputs = [added, check, human, await runCli(['device', 'show', 'locked', '--json'], { env: t.env }), await runCli(['device', 'list'], { env: t.env })];
    for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(PASSPHRASE);

    // the SQLite file and its WAL, byte for byte: neither the passphrase nor a fragment of it
    const dbFiles = readdirSync(t.home).filter((f) => f.startsWith('confwatch.db'));
    expect(dbFiles).toContain('confwatch.db');
    for (const f of dbFiles) {
      const bytes = readFileSync(join(t.home, f));
      expect(bytes.includes(Buffer.from(PASSPHRASE)), f).toBe(false);
      expect(bytes.includes(Buffer.from('zebra-Quartz')), f).toBe(false);
    }
  });

  it('reports a wrong passphrase as a one-line authentication error, exit 1', async () => {
    expect((await add('wrongpass', ['--passphrase-stdin'], 'not the passphrase\n')).code).toBe(0);
    const check = await runCli(['device', 'check', 'wrongpass'], { env: t.env });
    expectOneLineError(check, 1);
    expect(check.stderr).toContain(`cannot decrypt identity file ${key}`);
    expect(check.stderr).toMatch(/wrong passphrase/);
    expect(check.stderr).not.toContain('not the passphrase');

    const json = await runCli(['device', 'check', 'wrongpass', '--json'], { env: t.env });
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ reachable: false, error: { code: 'CW_ERR_SSH_AUTH' } });
  });

  it('says how to give the passphrase when an encrypted key has none stored', async () => {
    expect((await add('nopass', [])).code).toBe(0);
    const check = await runCli(['device', 'check', 'nopass'], { env: t.env });
    expectOneLineError(check, 1);
    expect(check.stderr).toContain(`identity file ${key} is encrypted`);
    expect(check.stderr).toContain('--passphrase-stdin');
  });

  it('names an identity file that does not exist', async () => {
    const missing = join(keyDir, 'no_such_key');
    const added = await runCli(
      ['device', 'add', 'nokey', '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user, '--identity', missing, '--profile', 'sshd', '--host-key', sshd.hostKeyFingerprint],
      { env: t.env },
    );
    expect(added.code, added.stderr).toBe(0);
    const check = await runCli(['device', 'check', 'nokey'], { env: t.env });
    expectOneLineError(check, 1);
    expect(check.stderr).toContain(`cannot read identity file ${missing}`);
  });
});

const agentProblem = !sshdAvailable()
  ? 'OpenSSH sshd is not installed (apt-get install openssh-server)'
  : !commandExists('ssh-agent') || !commandExists('ssh-add')
    ? 'ssh-agent and ssh-add are not installed (apt-get install openssh-client)'
    : null;

describeUnless(agentProblem, 'confwatch device through ssh-agent', () => {
  const t = tempHome();
  const agentDir = mkdtempSync(join(tmpdir(), 'cw-agent-'));
  const socket = join(agentDir, 'agent.sock');
  let agent: ChildProcess | undefined;
  let sshd: RunningSshd;

  beforeAll(async () => {
    sshd = await startSshd();
    // -D keeps the agent in the foreground, as our child, so it is ours to end
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
    execFileSync('ssh-add', ['-q', sshd.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
    const added = await runCli(
      ['device', 'add', 'agent', '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user, '--profile', 'sshd', '--trust-host-key', '--json'],
      { env: t.env },
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({ identityFile: null, hasPassphrase: false });
  });
  afterAll(async () => {
    agent?.kill('SIGTERM');
    await sshd?.stop();
    t.remove();
    rmSync(agentDir, { recursive: true, force: true });
  });

  it('authenticates with the key held by the agent at SSH_AUTH_SOCK', async () => {
    const check = await runCli(['device', 'check', 'agent', '--json'], { env: { ...t.env, SSH_AUTH_SOCK: socket } });
    expect(check.code, check.stderr).toBe(0);
    expect(check.json()).toMatchObject({ name: 'agent', reachable: true, hostKey: sshd.hostKeyFingerprint });
  });

  it('says what to do when there is neither an identity file nor an agent', async () => {
    const check = await runCli(['device', 'check', 'agent'], { env: { ...t.env, SSH_AUTH_SOCK: undefined } });
    expectOneLineError(check, 1);
    expect(check.stderr).toContain(`${sshd.user}@${sshd.host}:${sshd.port}`);
    expect(check.stderr).toMatch(/SSH_AUTH_SOCK is not set/);
    expect(check.stderr).toContain('--identity');
  });

  it('names an agent socket that cannot be reached', async () => {
    const stale = join(agentDir, 'gone.sock');
    const check = await runCli(['device', 'check', 'agent'], { env: { ...t.env, SSH_AUTH_SOCK: stale } });
    expectOneLineError(check, 1);
    expect(check.stderr).toContain(stale);
  });

  it('reports an agent without the right key as an authentication failure', async () => {
    execFileSync('ssh-add', ['-q', '-D'], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    const check = await runCli(['device', 'check', 'agent', '--json'], { env: { ...t.env, SSH_AUTH_SOCK: socket } });
    expect(check.code).toBe(1);
    expect(check.json()).toMatchObject({ reachable: false, error: { code: 'CW_ERR_SSH_AUTH' } });
    expect(check.json().error.message).toContain(`authentication failed for ${sshd.user}@${sshd.host}:${sshd.port}`);
  });
});
