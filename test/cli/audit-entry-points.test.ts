/**
 * Every mutation is audited whatever its entry point: the CLI (the built
 * binary), the API over HTTP (token and browser session, as the UI sends
 * it) and background jobs (auto-reconcile in `serve`). Dry runs are
 * `*.preview`, never `… ok` as if something was written.
 */
import { userInfo } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/store/records.js';
import { runCli, type ServeProcess, startServe, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { freePort } from '../helpers/sshd.js';

const CLI_ACTOR = `cli:${userInfo().username}`;

describeWith('nginx', commandExists('nginx'), 'the audit log from every entry point', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'nginx');
  const app = join(root, 'conf.d', 'app.conf');
  const api = join(root, 'conf.d', 'api.conf');
  const cli = async (...args: string[]) => {
    const result = await runCli(args, { env: t.env });
    expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result;
  };
  const versions = async (path: string) => (await cli('history', '--device', 'web', path, '--json')).json();
  const audit = async (): Promise<AuditRecord[]> => (await cli('audit', '--limit', '500', '--json')).json();
  const changes = (name: string, port: number) => {
    const file = join(t.home, '..', name);
    writeFileSync(file, `changes:\n  - device: web\n    path: ${api}\n    content: "server { listen 127.0.0.1:${port}; }\\n"\n`);
    return file;
  };

  beforeAll(async () => {
    mkdirSync(join(root, 'conf.d'), { recursive: true });
    writeFileSync(join(root, 'nginx.conf'), `error_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n}\n`);
    writeFileSync(app, 'server { listen 127.0.0.1:18381; }\n');
    writeFileSync(api, 'server { listen 127.0.0.1:18382; }\n');
    await cli('init');
    await cli('device', 'add', 'web', '--local', '--watch', `${root}/**/*.conf`, '--type', 'nginx');
    await cli('scan', 'web');
  }, 300_000);
  afterAll(() => t.remove());

  it('the CLI: restore, drift resolve, rollback, apply, keys rotate, device add/remove, token create', async () => {
    const start = new Date().toISOString();
    writeFileSync(app, 'server { listen 127.0.0.1:18383; }\n');
    await cli('scan', 'web');
    const [, initial] = await versions(app);
    await cli('restore', initial.id, '--dry-run', '--json');
    const restored = (await cli('restore', initial.id, '--json')).json();
    writeFileSync(app, 'server { listen 127.0.0.1:18384; }\n');
    await cli('drift', 'resolve', '--device', 'web', app, '--accept', '--json');
    const plan = (await cli('rollback', 'plan', '--device', 'web', '--to', start, '--json')).json();
    await cli('rollback', 'apply', plan.id, '--json');
    await cli('apply', changes('dry.yaml', 18385), '--dry-run', '--json');
    const batch = (await cli('apply', changes('batch.yaml', 18386), '--json')).json();
    const rotated = (await cli('keys', 'rotate', '--json')).json();
    await cli('device', 'add', 'box', '--local', '--watch', `${root}/none/**`);
    await cli('device', 'remove', 'box');
    const token = (await cli('token', 'create', '--user', 'admin', '--json')).json();
    const failed = await runCli(['restore', 'nosuchsnapshot00000000000000'], { env: t.env });
    expect(failed.code).not.toBe(0);

    const log = (await audit()).filter((e) => e.actor === CLI_ACTOR);
    const find = (action: string) => log.filter((e) => e.action === action);
    expect(find('snapshot.restore.preview')).toHaveLength(1);
    expect(find('snapshot.restore').map((e) => [e.result, e.target])).toEqual([
      ['error', 'id=nosuchsnapshot00000000000000'],
      ['ok', `id=${initial.id} device=web path=${app} batch=${restored.batchId}`],
    ]);
    expect(find('drift.resolve')[0]).toMatchObject({ result: 'ok', target: expect.stringContaining(`device=web path=${app} snapshot=`) });
    expect(find('rollback.plan')[0]).toMatchObject({ result: 'ok', target: `device=web id=${plan.id}` });
    expect(find('rollback.apply')[0]).toMatchObject({ result: 'ok', target: `id=${plan.id} device=web` });
    expect(find('batch.apply.preview')).toHaveLength(1);
    expect(find('batch.apply')[0]).toMatchObject({ result: 'ok', target: `device=web path=${api} id=${batch.batchId}` });
    expect(find('keys.rotate')[0]).toMatchObject({ result: 'ok', target: expect.stringContaining(`new=${rotated.keyId}`) });
    expect(find('device.add')[0]).toMatchObject({ result: 'ok', target: 'device=box' });
    expect(find('device.remove')[0]).toMatchObject({ result: 'ok', target: 'device=box' });
    expect(find('token.create')[0]).toMatchObject({ result: 'ok', target: `user=admin id=${token.id}` });
    for (const entry of log) expect(entry.clientAddress).toBeNull();
  }, 600_000);

  it('the API over HTTP (token and browser session) and the auto-reconcile job of serve', async () => {
    const token = (await cli('token', 'create', '--user', 'admin', '--json')).json().token as string;
    await runCli(['user', 'add', 'ui', '--role', 'operator', '--password-stdin'], { env: t.env, stdin: 'a long passphrase\n' });
    let server: ServeProcess | undefined;
    try {
      server = await startServe(['--port', String(await freePort())], t.env);
      const base = server.url;
      const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        return { status: response.status, json: text ? JSON.parse(text) : null };
      };
      const start = new Date().toISOString();
      const [latest] = await versions(app);
      const initial = (await versions(app)).at(-1);

      // the UI's restore dialog: a dry run with the session cookie and its CSRF token
      const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ui', password: 'a long passphrase' }) });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const { csrf } = (await login.json()) as { csrf: string };
      expect((await call('POST', `/api/snapshots/${initial.id}/restore`, { dryRun: true }, { cookie, 'x-csrf-token': csrf })).status).toBe(200);

      expect((await call('POST', `/api/snapshots/${initial.id}/restore`, { dryRun: true })).status).toBe(200);
      expect((await call('POST', `/api/snapshots/${initial.id}/restore`, { force: true })).status).toBe(200);
      expect((await call('POST', '/api/drift/resolve', { device: 'web', path: app, resolution: 'accept' })).status).toBe(200);
      const plan = await call('POST', '/api/rollback-plans', { device: 'web', to: start });
      expect(plan.status).toBe(201);
      expect((await call('POST', `/api/rollback-plans/${plan.json.id}/apply`)).status).toBe(200);
      expect((await call('POST', '/api/batches', { dryRun: true, changes: [{ device: 'web', path: api, content: 'server { listen 127.0.0.1:18387; }\n' }] })).status).toBe(200);
      expect((await call('POST', '/api/batches', { changes: [{ device: 'web', path: api, content: 'server { listen 127.0.0.1:18388; }\n' }] })).status).toBe(200);
      expect((await call('POST', '/api/devices', { name: 'box2', local: true, watch: [`${root}/none/**`] })).status).toBe(201);
      expect((await call('DELETE', '/api/devices/box2')).status).toBe(204);
      const created = await call('POST', '/api/tokens', { user: 'ui' });
      expect(created.status).toBe(201);

      // a background job: the profile puts drifted files back by itself
      const db = new BetterSqlite3(join(t.home, 'confwatch.db'));
      db.prepare("update profiles set auto_reconcile = 'restore' where device = 'web'").run();
      db.close();
      writeFileSync(app, 'server { listen 127.0.0.1:18389; }\n');
      let reconciled: AuditRecord | undefined;
      for (let i = 0; i < 100 && !reconciled; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const log = (await call('GET', '/api/audit?limit=200')).json as { entries?: AuditRecord[] } | AuditRecord[];
        const entries = Array.isArray(log) ? log : (log.entries ?? []);
        reconciled = entries.find((e) => e.action === 'drift.reconcile');
      }
      expect(reconciled).toMatchObject({ actor: 'confwatch:auto-reconcile', result: 'ok', target: expect.stringContaining(`device=web path=${app} snapshot=`) });
      expect(readFileSync(app, 'utf8')).not.toContain('18389');

      const log = (await audit()).filter((e) => e.actor === 'admin' || e.actor === 'ui');
      const find = (action: string) => log.filter((e) => e.action === action);
      expect(find('snapshot.restore.preview').map((e) => e.actor).sort()).toEqual(['admin', 'ui']);
      expect(find('snapshot.restore')).toHaveLength(1);
      expect(find('snapshot.restore')[0]).toMatchObject({ actor: 'admin', result: 'ok', target: expect.stringContaining(`id=${initial.id} device=web path=${app} batch=`) });
      expect(find('drift.resolve')[0]).toMatchObject({ result: 'ok' });
      expect(find('rollback.plan')[0]).toMatchObject({ result: 'ok', target: `device=web id=${plan.json.id}` });
      expect(find('rollback.apply')[0]).toMatchObject({ result: 'ok' });
      expect(find('batch.apply.preview')).toHaveLength(1);
      expect(find('batch.apply')).toHaveLength(1);
      expect(find('device.add')[0]).toMatchObject({ result: 'ok' });
      expect(find('device.remove')[0]).toMatchObject({ result: 'ok', target: 'device=box2' });
      expect(find('token.create')[0]).toMatchObject({ result: 'ok', target: `user=ui id=${created.json.record?.id ?? created.json.id}` });
      for (const entry of log.filter((e) => e.action !== 'auth.login')) expect(entry.clientAddress).toBe('127.0.0.1');
      expect(latest).toBeDefined();
    } finally {
      await server?.stop();
    }
  }, 600_000);
});
