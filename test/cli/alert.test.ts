/**
 * `confwatch alert …` from the built CLI (SPEC §11.1): channels shown only
 * redacted, usage errors exit 2, `alert test` reports the receiver's
 * answer, `alert log` the deliveries. Then `serve` is killed (SIGKILL) while
 * a delivery waits for a receiver that is down: the next `serve` delivers
 * it, exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import { BIN, runCli, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { until } from '../helpers/monitor.js';
import { freePort } from '../helpers/sshd.js';

const SECRET = 'S3cretSigKey';

interface Serve {
  readonly child: ChildProcess;
  readonly lines: string[];
}

describeWith('inotifywait', commandExists('inotifywait'), 'confwatch alert', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'etc');
  const sshdConfig = join(root, 'sshd_config');
  let hook: HttpReceiver;
  const running: ChildProcess[] = [];

  const cli = (...args: string[]) => runCli(args, { env: t.env });
  const changesets = () => hook.requests.filter((r) => JSON.parse(r.body).event === 'config.changeset');

  async function serve(): Promise<Serve> {
    const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', String(await freePort())], { env: { ...process.env, ...t.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    const lines: string[] = [];
    child.stdout?.on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter(Boolean)));
    child.stderr?.resume();
    await until(() => lines.some((l) => l.includes('"watch.mode"') && l.includes('"realtime"')), 'serve watching in realtime', 60_000, 100);
    return { child, lines };
  }

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(sshdConfig, 'PermitRootLogin no\n');
    hook = await startHttpReceiver();
    expect((await cli('init')).code).toBe(0);
    const added = await cli('device', 'add', 'box', '--local', '--watch', `${root}/*`);
    expect(added.code, added.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    await hook?.close();
    t.remove();
  });

  it('adds, lists and removes channels with their secrets redacted; refuses bad input with exit 2', async () => {
    const added = await cli('alert', 'channel', 'add', 'hook', `json://127.0.0.1:${hook.port}/hook?secret=${SECRET}`, '--json');
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({ name: 'hook', kind: 'json', url: `json://127.0.0.1:${hook.port}/hook?secret=****`, minRisk: null });
    const list = await cli('alert', 'channel', 'list', '--json');
    expect(list.json().map((c: { name: string }) => c.name)).toEqual(['hook']);
    expect(list.stdout + added.stdout).not.toContain(SECRET);

    const bad = await cli('alert', 'channel', 'add', 'irc', 'irc://irc.example.com/x', '--json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown channel scheme "irc"/);
    expect((await cli('alert', 'rule', 'add', 'r1', '--channel', 'nope')).code).toBe(2);
    const event = await cli('alert', 'rule', 'add', 'r1', '--channel', 'hook', '--event', 'config.nothing');
    expect(event.code).toBe(2);
    expect(event.stderr).toMatch(/--event "config.nothing" raises no alert/);

    const audit = (await cli('audit', '--json')).json() as { action: string; target: string }[];
    expect(audit.filter((a) => a.action === 'alert.channel.add').map((a) => a.target)).toContain('channel=hook');
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  }, 120_000);

  it("alert test reports the receiver's answer; alert log lists the deliveries", async () => {
    const ok = await cli('alert', 'test', 'hook', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json()).toEqual({ delivered: true, status: 200 });
    const request = hook.requests.at(-1);
    expect(request?.headers['x-confwatch-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request?.body ?? '').digest('hex')}`);
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ event: 'alert.test' });

    const dead = await startHttpReceiver();
    await dead.down();
    expect((await cli('alert', 'channel', 'add', 'dead', `json://127.0.0.1:${dead.port}/x`)).code).toBe(0);
    const failed = await cli('alert', 'test', 'dead', '--json');
    expect(failed.code).toBe(1);
    expect(failed.json()).toEqual({ delivered: false, status: null, error: 'connection refused' });
    expect(failed.stderr).toMatch(/did not reach dead/);

    const log = (await cli('alert', 'log', '--limit', '5', '--json')).json();
    expect(log.map((d: { channel: string; status: string }) => [d.channel, d.status])).toEqual([
      ['dead', 'failed'],
      ['hook', 'sent'],
    ]);
    for (const field of ['id', 'channel', 'event', 'riskLevel', 'status', 'attempts', 'at']) expect(log[0]).toHaveProperty(field);
    expect((await cli('alert', 'channel', 'remove', 'dead', '--json')).json()).toEqual({ removed: 'dead' });
  }, 120_000);

  it('delivers exactly once what a killed serve left queued', async () => {
    await hook.down();
    const first = await serve();
    writeFileSync(sshdConfig, 'PermitRootLogin yes\n');
    const queued = await until(
      async () => {
        const log = (await cli('alert', 'log', '--json')).json() as { id: string; channel: string; event: string; status: string; attempts: number }[];
        return log.find((d) => d.channel === 'hook' && d.event === 'config.changeset' && d.status === 'queued' && d.attempts >= 1);
      },
      'a queued delivery after a refused attempt',
      60_000,
      250,
    );
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('close', done));
    await hook.up();
    expect(changesets()).toHaveLength(0);

    const second = await serve();
    await until(() => changesets().length > 0, 'the delivery after the restart', 30_000, 100);
    const sent = await until(
      async () => ((await cli('alert', 'log', '--json')).json() as { id: string; status: string; attempts: number }[]).find((d) => d.id === queued.id && d.status === 'sent'),
      'the delivery marked sent',
      10_000,
      250,
    );
    expect(sent.attempts).toBeGreaterThan(queued.attempts);
    // nothing sends it again: no retry of a sent delivery, no second row for the same change set
    await new Promise((done) => setTimeout(done, 1_500));
    second.child.kill('SIGTERM');
    expect(changesets()).toHaveLength(1);
    expect(JSON.parse(changesets()[0]?.body ?? '{}')).toMatchObject({ riskLevel: 'CRITICAL', device: 'box', path: sshdConfig });
  }, 180_000);
});
