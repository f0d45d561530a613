import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { freePort } from '../helpers/sshd.js';

/** The `scan → history → show → diff` path of the CLI on a local device. */
describe('confwatch scan, history, show, diff, keys rotate', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'etc-app');
  const conf = join(root, 'app.conf');
  const binary = join(root, 'blob.conf');
  const binaryBytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), randomBytes(512)]);

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(conf, 'listen = 80\nname = one\n');
    writeFileSync(binary, binaryBytes);
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
    const add = await runCli(['device', 'add', 'box', '--local', '--watch', `${root}/*.conf`], { env: t.env });
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(() => t.remove());

  it('stores the first scan as initial versions and later edits as modified', async () => {
    const first = await runCli(['scan', 'box', '--json'], { env: t.env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ device: 'box', listed: 2, stored: 2 });

    writeFileSync(conf, 'listen = 8080\nname = one\n');
    const second = await runCli(['scan', 'box', '--json'], { env: t.env });
    expect(second.json()).toMatchObject({ listed: 2, stored: 1 });

    const again = await runCli(['scan', 'box', '--json'], { env: t.env });
    expect(again.json()).toMatchObject({ stored: 0 });

    const history = await runCli(['history', '--device', 'box', conf, '--json'], { env: t.env });
    expect(history.code, history.stderr).toBe(0);
    const versions = history.json();
    expect(versions.map((v: { changeType: string }) => v.changeType)).toEqual(['modified', 'initial']);
    for (const v of versions) expect(Object.keys(v)).toEqual(expect.arrayContaining(['id', 'contentHash', 'changeType', 'source', 'detectedAt']));
    expect(versions[0].contentHash).toBe(sha256(readFileSync(conf)));

    const diff = await runCli(['diff', versions[0].id], { env: t.env });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('-listen = 80');
    expect(diff.stdout).toContain('+listen = 8080');

    const files = await runCli(['files', '--device', 'box', '--json'], { env: t.env });
    expect(files.json().map((f: { path: string; syncStatus: string }) => [f.path, f.syncStatus]).sort()).toEqual([
      [conf, 'synced'],
      [binary, 'synced'],
    ].sort());
  });

  it('gives back the exact bytes of a binary version with show --raw, and says binary in the diff', async () => {
    const [version] = (await runCli(['history', '--device', 'box', binary, '--json'], { env: t.env })).json();
    const raw = await rawBytes(['show', version.id, '--raw'], t.env);
    expect(raw.equals(binaryBytes)).toBe(true);

    writeFileSync(binary, Buffer.concat([binaryBytes, Buffer.from([0xc3])]));
    await runCli(['scan', 'box'], { env: t.env });
    const [latest] = (await runCli(['history', '--device', 'box', binary, '--json'], { env: t.env })).json();
    const diff = await runCli(['diff', latest.id], { env: t.env });
    expect(diff.stdout).toMatch(/binary content changed \(516 → 517 bytes\)/);
  });

  it('rejects unknown snapshots and untracked paths with exit 2', async () => {
    const show = await runCli(['show', '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], { env: t.env });
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(/unknown snapshot/);
    const history = await runCli(['history', '--device', 'box', '/nope'], { env: t.env });
    expect(history.code).toBe(2);
  });

  it('rotates the master key and still reads every version', { timeout: 180_000 }, async () => {
    const keyBefore = readFileSync(join(t.home, 'master.key'), 'utf8');
    const rotate = await runCli(['keys', 'rotate', '--json'], { env: t.env, timeoutMs: 150_000 });
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.json().blobs).toBeGreaterThan(0);
    const keyAfter = readFileSync(join(t.home, 'master.key'), 'utf8');
    expect(keyAfter).not.toBe(keyBefore);
    expect(keyAfter.trim().split('\n')).toHaveLength(1);
    const [version] = (await runCli(['history', '--device', 'box', conf, '--json'], { env: t.env })).json();
    const raw = await rawBytes(['show', version.id, '--raw'], t.env);
    expect(raw.toString()).toBe('listen = 8080\nname = one\n');
  });
});

describeWith('inotifywait', commandExists('inotifywait'), 'confwatch watch and serve', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'watched');
  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'site.conf'), 'a\n');
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
    expect((await runCli(['device', 'add', 'w', '--local', '--watch', `${root}/*.conf`], { env: t.env })).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('prints NDJSON events for a change and leaves no inotifywait behind on SIGTERM', async () => {
    const child = start(['watch', 'w', '--json'], t.env);
    try {
      await child.waitFor((line) => line.includes('"watch.mode"') && line.includes('"realtime"'));
      writeFileSync(join(root, 'site.conf'), 'b\n');
      const changed = await child.waitFor((line) => line.includes('"config.changed"') && line.includes('site.conf') && line.includes('"modified"'));
      const event = JSON.parse(changed);
      expect(event).toMatchObject({ type: 'config.changed', device: 'w', changeType: 'modified', source: 'realtime', contentHash: sha256(Buffer.from('b\n')) });
      expect(typeof event.id).toBe('number');
    } finally {
      await child.stop();
    }
    expect(watchersOn(root)).toEqual([]);
  });

  it('serve answers health, requires a token for the API, and stops cleanly', async () => {
    const port = await freePort();
    const child = start(['serve', '--port', String(port), '--json'], t.env);
    try {
      await child.waitFor((line) => line.includes('serve.listening'));
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(health.status).toBe(200);
      const devices = await fetch(`http://127.0.0.1:${port}/api/devices`);
      expect(devices.status).toBe(401);
      expect(await devices.json()).toMatchObject({ error: { code: 'CW_ERR_AUTH_REQUIRED' } });
      const ui = await fetch(`http://127.0.0.1:${port}/`);
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-security-policy')).toContain("default-src 'self'");
    } finally {
      await child.stop();
    }
    expect(watchersOn(root)).toEqual([]);
  });
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function watchersOn(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'inotifywait'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(dir));
  } catch {
    return [];
  }
}

async function rawBytes(args: string[], env: Record<string, string>): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`exit ${code}`))));
  });
}

/** A long-running CLI process whose stdout lines can be awaited. */
function start(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CONFWATCH_LOG_FORMAT: 'json', ...env } });
  const lines: string[] = [];
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.test(line)) w.resolve(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    waitFor(test: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
      const seen = lines.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({
          test,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, stderr).toBe(0);
    },
  };
}
