/**
 * Change requests end to end, on SQLite and PostgreSQL, against two real
 * sshd hosts: the approval rules (no self-approval, CRITICAL needs two
 * distinct non-authors, any rejection rejects, an edit resets approvals,
 * expiry), apply through the batch engine (versions record the request),
 * a conflict when a target changed after approval (its bytes left as they
 * are), rebase, break-glass (audited, and delivered as a CRITICAL alert by
 * a rule), all-or-nothing across hosts, and drift acceptance through the
 * gate. One bed per database; the tests run in order.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { sha256Hex } from '../../src/hash.js';
import { ChangeRequestService, type ProposedChange } from '../../src/services/change-request.service.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { ChangeRequestRepository } from '../../src/store/change-requests.repository.js';
import { recordEvents, until } from '../helpers/monitor.js';
import type { RunningSshd } from '../helpers/sshd.js';
import type { Transport } from '../../src/transport/transport.js';
import { startSshd } from '../helpers/sshd.js';
import { customProfile, sshDevice } from '../helpers/store.js';
import { createTarget, type TargetInstance } from '../store/store-targets.js';
import { describeOnDialects } from '../writeback/harness.js';

const MARKER = 'QZX7CHANGEREQUESTMARK';

describeOnDialects('change requests', (dialect) => {
  let target: TargetInstance;
  let services: Services;
  let events: ConfwatchEvent[];
  const hosts: { sshd: RunningSshd; root: string }[] = [];
  // one connection per host for the whole suite: each new SSH login costs seconds on a loaded machine
  const leases: Transport[] = [];

  const file = (host: 0 | 1, name: string) => join(hosts[host]!.root, name);
  const change = (host: 0 | 1, name: string, content: string | null): ProposedChange => ({
    device: `host${host}`,
    path: file(host, name),
    source: content === null ? { kind: 'delete' } : { kind: 'content', content: Buffer.from(content) },
  });
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
  const compose = (extra: string) => `services:\n  web:\n    image: nginx:1.27\n${extra}`;

  beforeAll(async () => {
    target = await createTarget(dialect);
    const env = { CONFWATCH_HOME: target.home, ...(target.databaseUrl ? { CONFWATCH_DATABASE_URL: target.databaseUrl } : {}) };
    const environment = { home: target.home, databaseUrl: target.databaseUrl, env };
    await initHome(environment);
    services = await openServices(environment);
    events = recordEvents(services.bus);
    await services.auth.addUser('alice', 'operator');
    await services.auth.addUser('bob', 'approver');
    await services.auth.addUser('carol', 'approver');
    for (const i of [0, 1] as const) {
      const sshd = await startSshd();
      const root = mkdtempSync(join(tmpdir(), `cw-cr-h${i}-`));
      chmodSync(root, 0o755);
      hosts.push({ sshd, root });
      writeFileSync(join(root, 'app.conf'), `name = app${i}\nvalue = 1\n`);
      writeFileSync(join(root, 'compose.yaml'), compose(''));
      mkdirSync(join(root, 'stack'));
      writeFileSync(join(root, 'stack', 'compose.yaml'), compose(''));
      await services.store.addDevice(sshDevice(`host${i}`, sshd, { mode: 'polling', passphrase: null }), [customProfile(`host${i}`, [`${root}/**`])]);
      leases.push(await services.registry.acquire(`host${i}`));
      await services.monitoring.scan(`host${i}`);
    }
    await services.settled();
  });

  afterAll(async () => {
    for (const lease of leases) await lease.close().catch(() => undefined);
    await services?.close();
    for (const h of hosts) {
      await h.sshd.stop();
      rmSync(h.root, { recursive: true, force: true });
    }
    await target?.dispose();
  });

  /** What a capture would record after a change on the host made outside confwatch. */
  const rescan = async (host: 0 | 1) => {
    await services.monitoring.scan(`host${host}`);
    await services.settled();
  };

  it('approves a LOW request by policy, applies it through the batch engine and records the request on every version', async () => {
    const stack = file(0, 'stack/compose.yaml');
    const proposed = await services.changes.propose('alice', { title: 'document the stack', changes: [change(0, 'stack/compose.yaml', compose(`# ${MARKER}\n`))] });
    expect(proposed).toMatchObject({ status: 'approved', riskLevel: 'LOW', requiredApprovals: 0, approvals: [], author: 'alice', outcome: { autoApproved: true } });
    expect(proposed.files[0]).toMatchObject({ action: 'write', baseHash: sha256Hex(Buffer.from(compose(''))), validation: expect.anything() });
    expect(proposed.files[0]!.diff).toContain(`+# ${MARKER}`);
    expect(events.some((e) => e.type === 'change.proposed' && e.requestId === proposed.id)).toBe(true);

    // sealed at rest: the candidate and its diff never sit in clear in the database
    const { rows } = await sql<{ entries: string }>`select entries from change_requests where id = ${proposed.id}`.execute(services.store.db);
    expect(rows[0]!.entries.startsWith('cw1:')).toBe(true);
    expect(rows[0]!.entries).not.toContain(MARKER);

    const applied = await services.changes.apply('alice', proposed.id);
    expect(applied.status).toBe('applied');
    expect(readFileSync(stack, 'utf8')).toBe(compose(`# ${MARKER}\n`));
    const latest = await services.store.latestSnapshot('host0', stack);
    expect(latest).toMatchObject({ source: 'change-request', changeRequestId: proposed.id, actor: 'alice' });
    expect(applied.outcome?.snapshotIds).toEqual([latest!.id]);
    const audit = (await services.store.listAudit({ limit: 50 })).find((a) => a.action === 'change.applied' && a.target === `id=${proposed.id}`);
    expect(audit).toMatchObject({ actor: 'alice', result: 'ok', details: { author: 'alice', approvers: [], breakGlass: false } });
  });

  it('refuses self-approval (admins included) and needs two distinct non-authors for CRITICAL', async () => {
    const proposed = await services.changes.propose('alice', { changes: [change(1, 'compose.yaml', compose('    privileged: true\n'))] });
    expect(proposed).toMatchObject({ status: 'pending', riskLevel: 'CRITICAL', requiredApprovals: 2 });
    expect(proposed.files[0]!.impact.reasons.map((r) => r.rule)).toContain('privileged');
    expect(await code(services.changes.approve('alice', proposed.id))).toBe('CW_ERR_CHANGE_SELF_REVIEW');

    const byAdmin = await services.changes.propose('admin', { changes: [change(0, 'compose.yaml', compose('    privileged: true\n'))] });
    expect(await code(services.changes.approve('admin', byAdmin.id))).toBe('CW_ERR_CHANGE_SELF_REVIEW');
    await services.changes.cancel('admin', byAdmin.id);

    const once = await services.changes.approve('bob', proposed.id, 'looks right');
    expect(once).toMatchObject({ status: 'pending', approvals: [{ user: 'bob', comment: 'looks right' }] });
    expect(await code(services.changes.approve('bob', proposed.id))).toBe('CW_ERR_ALREADY_EXISTS');
    expect(await code(services.changes.apply('alice', proposed.id))).toBe('CW_ERR_CHANGE_STATE');
    expect(readFileSync(file(1, 'compose.yaml'), 'utf8')).toBe(compose(''));

    const twice = await services.changes.approve('carol', proposed.id);
    expect(twice.status).toBe('approved');
    expect(twice.approvals.map((a) => a.user)).toEqual(['bob', 'carol']);
    const applied = await services.changes.apply('alice', proposed.id);
    expect(applied.status).toBe('applied');
    expect(readFileSync(file(1, 'compose.yaml'), 'utf8')).toBe(compose('    privileged: true\n'));
    const audit = (await services.store.listAudit({ limit: 50 })).find((a) => a.action === 'change.applied' && a.target === `id=${proposed.id}`);
    expect(audit?.details).toMatchObject({ author: 'alice', approvers: ['bob', 'carol'] });
  });

  it('rejects on any rejection, which needs a comment; a rejected request cannot be applied', async () => {
    const proposed = await services.changes.propose('alice', { changes: [change(0, 'compose.yaml', compose('  cache:\n    image: redis:7\n'))] });
    expect(proposed).toMatchObject({ status: 'pending', riskLevel: 'MEDIUM', requiredApprovals: 1 });
    expect((await services.changes.approve('bob', proposed.id)).status).toBe('approved');
    expect(await code(services.changes.reject('carol', proposed.id, '  '))).toBe('CW_ERR_USAGE');
    const rejected = await services.changes.reject('carol', proposed.id, 'not during the freeze');
    expect(rejected).toMatchObject({ status: 'rejected', rejections: [{ user: 'carol', comment: 'not during the freeze' }] });
    expect(await code(services.changes.apply('alice', proposed.id))).toBe('CW_ERR_CHANGE_STATE');
    expect(await code(services.changes.approve('admin', proposed.id))).toBe('CW_ERR_CHANGE_STATE');
    expect(readFileSync(file(0, 'compose.yaml'), 'utf8')).toBe(compose(''));
    expect(events.some((e) => e.type === 'change.rejected' && e.requestId === proposed.id && e.reviewer === 'carol')).toBe(true);
  });

  it('applies on the last required approval when proposed with applyOnApproval', async () => {
    const proposed = await services.changes.propose('alice', { applyOnApproval: true, changes: [change(1, 'stack/compose.yaml', compose('  cache:\n    image: redis:7\n'))] });
    expect(proposed).toMatchObject({ status: 'pending', applyOnApproval: true, requiredApprovals: 1 });
    expect(readFileSync(file(1, 'stack/compose.yaml'), 'utf8')).toBe(compose(''));
    const approved = await services.changes.approve('bob', proposed.id);
    expect(approved).toMatchObject({ status: 'applied', outcome: { appliedBy: 'bob' } });
    expect(readFileSync(file(1, 'stack/compose.yaml'), 'utf8')).toBe(compose('  cache:\n    image: redis:7\n'));
  });

  it('invalidates approvals when the request is edited', async () => {
    const proposed = await services.changes.propose('alice', { changes: [change(0, 'compose.yaml', compose('  cache:\n    image: redis:7\n'))] });
    const approved = await services.changes.approve('bob', proposed.id);
    expect(approved.status).toBe('approved');
    const edited = await services.changes.edit('alice', proposed.id, { changes: [change(0, 'compose.yaml', compose('  cache:\n    image: redis:8\n'))] });
    expect(edited).toMatchObject({ status: 'pending', revision: 2, approvals: [] });
    expect(edited.digest).not.toBe(approved.digest);
    expect(await code(services.changes.apply('alice', proposed.id))).toBe('CW_ERR_CHANGE_STATE');
    expect(await code(services.changes.edit('bob', proposed.id, { changes: [change(0, 'compose.yaml', compose(''))] }))).toBe('CW_ERR_CHANGE_NOT_AUTHOR');
    expect((await services.changes.approve('bob', proposed.id)).status).toBe('approved');
    await services.changes.cancel('alice', proposed.id);
  });

  it('expires open requests after the policy’s days and settles an apply whose process stopped', async () => {
    let now = new Date();
    const clocked = new ChangeRequestService({
      repository: new ChangeRequestRepository(services.store),
      store: services.store,
      writeback: services.writeback,
      analysis: services.analysis,
      bus: services.bus,
      audit: services.audit,
      users: services.auth,
      clock: () => now,
    });
    const proposed = await clocked.propose('alice', { changes: [change(1, 'compose.yaml', compose('    privileged: true\n  cache:\n    image: redis:7\n'))] });
    expect(Date.parse(proposed.expiresAt) - now.getTime()).toBe(7 * 86_400_000);
    now = new Date(now.getTime() + 7 * 86_400_000 + 1000);
    expect((await clocked.get(proposed.id)).status).toBe('expired');
    expect(await code(clocked.approve('bob', proposed.id))).toBe('CW_ERR_CHANGE_STATE');

    // an apply whose process stopped is settled from what its batch left: here nothing was written
    const interrupted = await clocked.propose('alice', { changes: [change(1, 'compose.yaml', compose('    privileged: true\n  cache:\n    image: redis:6\n'))] });
    await new ChangeRequestRepository(services.store).update(interrupted.id, ['pending'], { status: 'applying' }, now.toISOString());
    now = new Date(now.getTime() + 10 * 60_000);
    expect((await clocked.get(interrupted.id)).status).toBe('applying');
    now = new Date(now.getTime() + 6 * 60_000);
    expect(await clocked.get(interrupted.id)).toMatchObject({ status: 'failed', outcome: { code: 'CW_ERR_WRITEBACK_FAILED' } });
  });

  it('turns a target changed after approval into a conflict, writes nothing on either host, and rebases', async () => {
    {
      const a = file(0, 'app.conf');
      const b = file(1, 'app.conf');
      const aBefore = readFileSync(a, 'utf8');
      const proposed = await services.changes.propose('alice', { changes: [change(0, 'app.conf', 'name = app0\nvalue = 3\n'), change(1, 'app.conf', 'name = app1\nvalue = 3\n')] });
      expect(proposed).toMatchObject({ status: 'pending', requiredApprovals: 1, devices: ['host0', 'host1'] });
      expect((await services.changes.approve('bob', proposed.id)).status).toBe('approved');

      writeFileSync(b, 'name = app1\nvalue = changed by hand\n');
      const conflicted = await services.changes.apply('alice', proposed.id);
      expect(conflicted.status).toBe('conflict');
      expect(conflicted.outcome?.conflicts).toEqual([{ device: 'host1', path: b, baseHash: proposed.files[1]!.baseHash, liveHash: sha256Hex(Buffer.from('name = app1\nvalue = changed by hand\n')) }]);
      expect(readFileSync(a, 'utf8')).toBe(aBefore);
      expect(readFileSync(b, 'utf8')).toBe('name = app1\nvalue = changed by hand\n');
      expect(events.some((e) => e.type === 'change.conflict' && e.requestId === proposed.id)).toBe(true);
      expect(await code(services.changes.apply('alice', proposed.id))).toBe('CW_ERR_CHANGE_STATE');

      await rescan(1);
      const rebased = await services.changes.rebase('alice', proposed.id);
      expect(rebased).toMatchObject({ status: 'pending', revision: 2, approvals: [] });
      expect(rebased.files[1]!.baseHash).toBe(sha256Hex(Buffer.from('name = app1\nvalue = changed by hand\n')));
      await services.changes.approve('bob', proposed.id);
      expect((await services.changes.apply('alice', proposed.id)).status).toBe('applied');
      expect(readFileSync(a, 'utf8')).toBe('name = app0\nvalue = 3\n');
      expect(readFileSync(b, 'utf8')).toBe('name = app1\nvalue = 3\n');
    }
  });

  it('lets only an admin with a reason break the glass; audited and delivered as a CRITICAL alert by a rule', async () => {
    const receiver: HttpReceiver = await startHttpReceiver();
    await services.alerts.addChannel('approvers', `json://127.0.0.1:${receiver.port}/hook`);
    await services.alerts.addRule({ name: 'glass', channels: ['approvers'], events: ['change.applied'], minRisk: 'CRITICAL' });
    const alerts = services.alerts.start({});
    try {
      const proposed = await services.changes.propose('alice', { changes: [change(0, 'compose.yaml', compose('    privileged: true\n'))] });
      expect(proposed.status).toBe('pending');
      expect(await code(services.changes.apply('alice', proposed.id, { breakGlass: { reason: 'outage' } }))).toBe('CW_ERR_CHANGE_BREAK_GLASS');
      expect(await code(services.changes.apply('bob', proposed.id, { breakGlass: { reason: 'outage' } }))).toBe('CW_ERR_CHANGE_BREAK_GLASS');
      expect(await code(services.changes.apply('admin', proposed.id, { breakGlass: { reason: ' ' } }))).toBe('CW_ERR_CHANGE_BREAK_GLASS');
      const applied = await services.changes.apply('admin', proposed.id, { breakGlass: { reason: 'site down, INC-42' } });
      expect(applied).toMatchObject({ status: 'applied', outcome: { breakGlass: { by: 'admin', reason: 'site down, INC-42' } } });
      expect(readFileSync(file(0, 'compose.yaml'), 'utf8')).toBe(compose('    privileged: true\n'));
      const audit = (await services.store.listAudit({ limit: 50 })).find((a) => a.action === 'change.applied' && a.target === `id=${proposed.id}`);
      expect(audit).toMatchObject({ actor: 'admin', details: { breakGlass: true, reason: 'site down, INC-42', author: 'alice', approvers: [] } });
      const event = events.find((e) => e.type === 'change.applied' && e.requestId === proposed.id) as ConfwatchEvent<'change.applied'>;
      expect(event).toMatchObject({ breakGlass: true, riskLevel: 'CRITICAL', reason: 'site down, INC-42' });
      await until(() => receiver.requests.length > 0, 'the break-glass alert to be delivered', 10_000);
      const body = JSON.parse(receiver.requests[0]!.body) as Record<string, unknown>;
      expect(body).toMatchObject({ event: 'change.applied', riskLevel: 'CRITICAL' });
      expect(String(body.title)).toContain('Break-glass');
    } finally {
      await alerts.stop();
      await services.alerts.removeRule('glass');
      await services.alerts.removeChannel('approvers');
      await receiver.down();
    }
  });

  it('sends a CRITICAL drift acceptance through a change request when the policy asks for it', async () => {
    const path = file(0, 'stack/compose.yaml');
    const baseline = (await services.store.getTrackedFile('host0', path))!.baselineSnapshotId;
    writeFileSync(path, compose('    privileged: true\n'));
    await services.changes.setPolicy({ driftApproval: { enabled: true } });
    try {
      const gated = await services.changes.acceptDrift('alice', 'host0', path);
      expect(gated.gated).toBe(true);
      if (!gated.gated) return;
      expect(gated.request).toMatchObject({ status: 'pending', riskLevel: 'CRITICAL', requiredApprovals: 2, origin: { kind: 'drift-accept', device: 'host0' } });
      expect((await services.store.getTrackedFile('host0', path))!.baselineSnapshotId).toBe(baseline);
      await services.changes.approve('bob', gated.request.id);
      await services.changes.approve('carol', gated.request.id);
      const applied = await services.changes.apply('alice', gated.request.id);
      expect(applied.status).toBe('applied');
      const tracked = (await services.store.getTrackedFile('host0', path))!;
      expect(tracked.baselineSnapshotId).not.toBe(baseline);
      expect(tracked.contentHash).toBe(sha256Hex(readFileSync(path)));
    } finally {
      await services.changes.setPolicy({ driftApproval: { enabled: false } });
    }
  });

  it("turns a compliance rule's fix into a change request, and refuses one over a file that drifted since it was stored", async () => {
    const path = file(0, 'fix/compose.yaml');
    mkdirSync(join(hosts[0]!.root, 'fix'), { recursive: true });
    writeFileSync(path, compose('    privileged: true\n'));
    await rescan(0);
    const proposed = await services.compliance.proposeFix('alice', 'compose.privileged', 'host0', path);
    expect(proposed.diff).toContain('-    privileged: true');
    expect(proposed.changeRequest).toMatchObject({ author: 'alice', status: 'pending', origin: { kind: 'compliance-fix', rule: 'compose.privileged' } });
    expect(proposed.changeRequest.files[0]!.diff).toContain('-    privileged: true');
    await services.changes.approve('bob', proposed.changeRequest.id);
    if (proposed.changeRequest.requiredApprovals > 1) await services.changes.approve('carol', proposed.changeRequest.id);
    expect((await services.changes.apply('alice', proposed.changeRequest.id)).status).toBe('applied');
    expect(readFileSync(path, 'utf8')).toBe(compose(''));

    // the host changed after the version the fix is computed from: nothing is proposed over it
    writeFileSync(path, compose('    privileged: true\n'));
    await rescan(0);
    writeFileSync(path, compose('    privileged: true\n    pid: host\n'));
    expect(await code(services.compliance.proposeFix('alice', 'compose.privileged', 'host0', path))).toBe('CW_ERR_WRITEBACK_CONFLICT');
    expect(readFileSync(path, 'utf8')).toBe(compose('    privileged: true\n    pid: host\n'));
  });

  it('applies across two hosts all or nothing: a host that cannot be reached leaves the other untouched', async () => {
    const a = file(0, 'app.conf');
    const before = readFileSync(a, 'utf8');
    const proposed = await services.changes.propose('alice', { changes: [change(0, 'app.conf', 'name = app0\nvalue = 4\n'), change(1, 'app.conf', 'name = app1\nvalue = 4\n')] });
    expect((await services.changes.approve('bob', proposed.id)).status).toBe('approved');
    await hosts[1]!.sshd.stop();
    const failed = await services.changes.apply('alice', proposed.id);
    expect(failed.status).toBe('failed');
    expect(failed.outcome?.code).toMatch(/^CW_ERR_SSH_/);
    expect(readFileSync(a, 'utf8')).toBe(before);
    expect((await services.store.latestSnapshot('host0', a))?.changeRequestId ?? null).not.toBe(proposed.id);
  });
});
