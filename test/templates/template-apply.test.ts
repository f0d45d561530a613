/**
 * `template apply` against a real sshd host: the template renders an
 * sshd_config, the change request is proposed with the rendered content,
 * validated on the device with `sshd -t` and judged with the impact rules
 * (PermitRootLogin yes: CRITICAL, two approvals); output sshd refuses is
 * never proposed. Once a request applies, the version it wrote is the
 * render's, and the next hand edit on the host is flagged in its impact.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImpactReason } from '../../src/analysis/impact.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import type { Transport } from '../../src/transport/transport.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { customProfile, sshDevice } from '../helpers/store.js';
import { createTarget, type TargetInstance } from '../store/store-targets.js';

const BODY = '# managed by confwatch\nPermitRootLogin {{ permit_root }}\nPasswordAuthentication no\n';
const SCHEMA = { type: 'object', required: ['permit_root'], additionalProperties: false, properties: { permit_root: { type: 'string', enum: ['no', 'prohibit-password', 'yes'] } } };

describeWithSshd('template apply over SSH', () => {
  let target: TargetInstance;
  let services: Services;
  let sshd: RunningSshd;
  let root: string;
  let lease: Transport;
  let config: string;

  beforeAll(async () => {
    target = await createTarget('sqlite');
    const environment = { home: target.home, databaseUrl: undefined, env: { CONFWATCH_HOME: target.home } };
    await initHome(environment);
    services = await openServices(environment);
    await services.auth.addUser('alice', 'operator');
    await services.auth.addUser('bob', 'approver');
    await services.auth.addUser('carol', 'approver');
    sshd = await startSshd();
    root = mkdtempSync(join(tmpdir(), 'cw-tpl-apply-'));
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'ssh'));
    config = join(root, 'ssh', 'sshd_config');
    writeFileSync(config, 'PermitRootLogin no\nPasswordAuthentication no\n');
    await services.store.addDevice(sshDevice('gw', sshd, { mode: 'polling', passphrase: null }), [customProfile('gw', [`${root}/ssh/*`], { configType: 'sshd' })]);
    // one connection for the suite: each SSH login costs seconds on a loaded machine
    lease = await services.registry.acquire('gw');
    await services.monitoring.scan('gw');
    await services.settled();
    await services.templates.add('sshd-base', { type: 'sshd', body: BODY, schema: SCHEMA }, 'alice');
    await services.templates.add('sshd-broken', { type: 'sshd', body: 'PermitRootLogin {{ v }}\n' }, 'alice');
  }, 120_000);

  afterAll(async () => {
    await lease?.close().catch(() => undefined);
    await services?.close();
    await sshd?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    await target?.dispose();
  });

  it('proposes the rendered file, validated by sshd -t, at the risk its impact gives', async () => {
    const applied = await services.templates.apply('sshd-base', { device: 'gw', path: config, variables: { permit_root: 'yes' } }, 'alice');
    expect(applied).toMatchObject({ template: 'sshd-base', version: 1, device: 'gw', path: config, validation: { status: 'valid', tool: expect.stringContaining('sshd') } });
    expect(applied.changeRequest).toMatchObject({ status: 'pending', riskLevel: 'CRITICAL', requiredApprovals: 2 });
    const request = await services.changes.get(applied.changeRequest.id);
    expect(request).toMatchObject({ author: 'alice', origin: { kind: 'template', template: 'sshd-base', version: 1 }, title: `Apply template sshd-base v1 to gw:${config}` });
    expect(request.files[0]!.impact.reasons.map((r) => r.rule)).toContain('permit-root-login');
    expect(request.files[0]!.diff).toContain('+PermitRootLogin yes');
    expect(request.files[0]!.diff).toContain('+# managed by confwatch');
    // nothing was written to the host
    expect(readFileSync(config, 'utf8')).toBe('PermitRootLogin no\nPasswordAuthentication no\n');
    await services.changes.cancel('alice', request.id);
  }, 60_000);

  it('proposes nothing when sshd -t refuses the rendered file', async () => {
    const before = (await services.changes.list()).length;
    await expect(services.templates.apply('sshd-broken', { device: 'gw', path: config, variables: { v: 'maybe' } }, 'alice')).rejects.toMatchObject({
      code: 'CW_ERR_WRITEBACK_INVALID',
      // the sshd parser takes any value; it is sshd -t on the device that refuses it
      message: expect.stringMatching(/validation refused gw:.*nothing was proposed/),
    });
    expect((await services.changes.list()).length).toBe(before);
    expect(await services.templates.renders('gw', config)).toHaveLength(1);
  }, 60_000);

  it('remembers the render the applied request wrote and flags the next hand edit', async () => {
    const applied = await services.templates.apply('sshd-base', { device: 'gw', path: config, variables: { permit_root: 'prohibit-password' } }, 'alice');
    let request = await services.changes.get(applied.changeRequest.id);
    if (request.status === 'pending') request = await services.changes.approve('bob', request.id);
    if (request.status === 'pending') request = await services.changes.approve('carol', request.id);
    expect((await services.changes.apply('alice', request.id)).status).toBe('applied');
    const rendered = BODY.replace('{{ permit_root }}', 'prohibit-password');
    expect(readFileSync(config, 'utf8')).toBe(rendered);
    await services.settled();
    const written = await services.store.latestSnapshot('gw', config);
    expect(written).toMatchObject({ source: 'change-request', changeRequestId: request.id });
    const [render] = await services.templates.renders('gw', config);
    expect(render).toMatchObject({ template: 'sshd-base', version: 1, changeRequest: request.id, appliedSnapshot: written!.id });
    expect(reasons(written?.impact).map((r) => r.rule)).not.toContain('template-hand-edit');

    writeFileSync(config, `${rendered}X11Forwarding no\n`);
    await services.monitoring.scan('gw');
    await services.settled();
    const edited = await services.store.latestSnapshot('gw', config);
    expect(edited?.id).not.toBe(written?.id);
    expect(reasons(edited?.impact)).toContainEqual({ rule: 'template-hand-edit', level: 'LOW', detail: 'edited by hand, last rendered from template sshd-base v1' });
  }, 90_000);
});

const reasons = (impact: unknown): ImpactReason[] => ((impact as { reasons?: ImpactReason[] } | null)?.reasons ?? []) as ImpactReason[];
