/**
 * Compliance end to end on each database (SQLite and PostgreSQL): files
 * captured from a local device are analysed, their rules evaluated in the
 * analysis worker and stored per (device, path, rule) with first-seen and
 * last-seen, findings sealed; events when a result moves; waivers (live
 * and expired); custom rules validated with the line named; a fleet run.
 * One device per database, its tests in order (starting a store and an
 * analysis worker is most of the cost). The per-pack score trend follows
 * what moved and is not repeated by runs that change nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { describeUnless } from '../helpers/components.js';
import { createTarget, postgresUnavailable, type TargetInstance } from '../store/store-targets.js';

const MARKER = 'QZX9COMPLIANCEMARK';
const pgMissing = await postgresUnavailable();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `compliance results, waivers and rules (${dialect})`, () => {
    let target: TargetInstance;
    let services: Services;
    let root: string;
    let events: ConfwatchEvent[];

    beforeAll(async () => {
      target = await createTarget(dialect);
      root = join(target.home, 'host');
      mkdirSync(join(root, 'ssh'), { recursive: true });
      mkdirSync(join(root, 'app'), { recursive: true });
      mkdirSync(join(root, 'ssh', 'sshd_config.d'));
      writeFileSync(join(root, 'ssh', 'sshd_config'), `Include ${join(root, 'ssh', 'sshd_config.d')}/*.conf\nPasswordAuthentication no\nPermitRootLogin yes\n`);
      writeFileSync(join(root, 'app', 'compose.yaml'), `services:\n  ${MARKER.toLowerCase()}:\n    image: nginx:1.27\n    privileged: true\n`);
      const env = { CONFWATCH_HOME: target.home, ...(target.databaseUrl ? { CONFWATCH_DATABASE_URL: target.databaseUrl } : {}) };
      const environment = { home: target.home, databaseUrl: target.databaseUrl, env };
      await initHome(environment);
      services = await openServices(environment);
      events = [];
      services.bus.subscribe((event) => {
        if (event.type.startsWith('compliance.')) events.push(event);
      });
      await services.devices.add({ name: 'web', local: true, watch: [`${root}/**`] });
      await services.monitoring.scan('web');
      await services.analysis.idle();
    });

    afterAll(async () => {
      await services.close();
      await target.dispose();
    });

    const sshdPath = () => join(root, 'ssh', 'sshd_config');
    const result = async (rule: string, path = sshdPath()) => (await services.compliance.results('web')).find((r) => r.rule === rule && r.path === path);

    it('evaluates each stored snapshot in the analysis worker, stores the results sealed and publishes what moved', async () => {
      const root1 = await result('sshd.permit-root-login');
      expect(root1).toMatchObject({ status: 'fail', message: 'PermitRootLogin is yes', line: 3 });
      expect(await result('sshd.password-authentication')).toMatchObject({ status: 'pass' });
      const compose = await result('compose.privileged', join(root, 'app', 'compose.yaml'));
      expect(compose).toMatchObject({ status: 'fail', message: `service ${MARKER.toLowerCase()} runs privileged`, line: 3 });
      expect(events.filter((e) => e.type === 'compliance.failed').map((e) => (e as ConfwatchEvent<'compliance.failed'>).rule)).toContain('sshd.permit-root-login');

      // the finding quotes the file: it is sealed, never clear in the database
      const { rows } = await sql<{ finding: string | null }>`select finding from compliance_results where finding is not null`.execute(services.store.db);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.finding?.startsWith('cw1:')).toBe(true);
        expect(row.finding).not.toContain(MARKER.toLowerCase());
      }

    });

    it('offers a mechanical fix as a dry-run diff, writing nothing', async () => {
      const fix = await services.compliance.fix('sshd.permit-root-login', 'web', sshdPath());
      expect(fix.diff).toContain('-PermitRootLogin yes');
      expect(fix.diff).toContain('+PermitRootLogin no');
      expect(readFileSync(sshdPath(), 'utf8')).toContain('PermitRootLogin yes');
      await expect(services.compliance.fix('sshd.weak-ciphers', 'web', sshdPath())).rejects.toMatchObject({ code: 'CW_ERR_USAGE' });
    });

    it('waives a failure until its expiry, and an expired waiver fails again and says so', async () => {
      const waiver = await services.compliance.waive({ rule: 'sshd.permit-root-login', device: 'web', reason: 'break-glass host', expires: '2999-01-01T00:00:00Z', by: 'tester' });
      expect(waiver).toMatchObject({ rule: 'sshd.permit-root-login', device: 'web', path: null, expiresAt: '2999-01-01T00:00:00.000Z', createdBy: 'tester' });
      expect(await result('sshd.permit-root-login')).toMatchObject({ status: 'waived', message: expect.stringContaining('break-glass host') });
      const run = await services.compliance.run({ device: 'web' });
      expect(run.findings).toContainEqual(expect.objectContaining({ rule: 'sshd.permit-root-login', status: 'waived', severity: 'high', device: 'web', path: sshdPath(), line: 3 }));
      expect(run.summary.waived).toBe(1);

      // a waiver for another file of the device does not cover this one
      await services.compliance.waive({ rule: 'compose.privileged', device: 'web', path: '/elsewhere/compose.yaml', reason: 'not this file', by: 'tester' });
      expect(await result('compose.privileged', join(root, 'app', 'compose.yaml'))).toMatchObject({ status: 'fail' });

      events.length = 0;
      await services.compliance.waive({ rule: 'sshd.x11-forwarding', device: 'web', reason: 'irrelevant', by: 'tester' });
      const expired = await services.compliance.waive({ rule: 'compose.privileged', device: 'web', reason: 'was accepted', expires: '2020-01-01T00:00:00Z', by: 'tester' });
      expect(expired.expiresAt).toBe('2020-01-01T00:00:00.000Z');
      expect(await result('compose.privileged', join(root, 'app', 'compose.yaml'))).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/^waiver expired at 2020-01-01T00:00:00.000Z; service .* runs privileged$/),
      });
    });

    it('adds custom rules validated on load, with the line of each problem, and removes them', async () => {
      const bad = 'rules:\n  - id: sshd.banner-set\n    title: A banner is shown\n    severity: low\n    configType: sshd\n    check: "sshd.banner !="\n    remediation: Set Banner.\n    source: local policy\n';
      await expect(services.compliance.addRules(bad, 'bad.yaml', 'tester')).rejects.toMatchObject({ code: 'CW_ERR_COMPLIANCE_RULE_INVALID', message: expect.stringMatching(/^bad\.yaml:6: check: /) });
      await expect(services.compliance.addRules(bad.replace('sshd.banner-set', 'sshd.permit-root-login').replace('!="', "!= 'none'\""), 'x.yaml', 'tester')).rejects.toMatchObject({ code: 'CW_ERR_COMPLIANCE_RULE_BUILTIN' });
      const added = await services.compliance.addRules(bad.replace('!="', "!= 'none'\""), 'good.yaml', 'tester');
      expect(added.map((r) => r.id)).toEqual(['sshd.banner-set']);
      const run = await services.compliance.run();
      expect(run.findings).toContainEqual(expect.objectContaining({ rule: 'sshd.banner-set', status: 'fail', message: 'A banner is shown', severity: 'low' }));
      expect((await services.compliance.rules()).find((r) => r.id === 'sshd.banner-set')).toMatchObject({ custom: true });
      await services.compliance.removeRule('sshd.banner-set');
      expect(await result('sshd.banner-set')).toBeUndefined();
      await expect(services.compliance.removeRule('sshd.permit-root-login')).rejects.toMatchObject({ code: 'CW_ERR_COMPLIANCE_RULE_BUILTIN' });
    });

    it('judges the main sshd_config again when a drop-in it includes changes', async () => {
      expect(await result('sshd.password-authentication')).toMatchObject({ status: 'pass' });
      events.length = 0;
      // read at the Include, before the main file's own "no": this value wins
      writeFileSync(join(root, 'ssh', 'sshd_config.d', '50-cloud-init.conf'), 'PasswordAuthentication yes\n');
      await services.monitoring.scan('web');
      await services.analysis.idle();
      expect(await result('sshd.password-authentication')).toMatchObject({ status: 'fail', message: 'PasswordAuthentication is yes', line: null });
      expect(events).toContainEqual(expect.objectContaining({ type: 'compliance.failed', rule: 'sshd.password-authentication', path: sshdPath() }));
      // the drop-in itself is never judged alone
      expect((await services.compliance.results('web')).filter((r) => r.path.endsWith('50-cloud-init.conf'))).toEqual([]);
    });

    it('clears a fixed failure with compliance.passed; first-seen moves with the status, last-seen with every evaluation', async () => {
      const composePath = join(root, 'app', 'compose.yaml');
      const before = await result('compose.privileged', composePath);
      const unchanged = await result('compose.image-tag', composePath);
      expect(before).toMatchObject({ status: 'fail' });
      events.length = 0;
      await new Promise((r) => setTimeout(r, 20));
      writeFileSync(composePath, `services:\n  ${MARKER.toLowerCase()}:\n    image: nginx:1.27\n`);
      await services.monitoring.scan('web');
      await services.analysis.idle();
      const fixed = await result('compose.privileged', composePath);
      expect(fixed).toMatchObject({ status: 'pass', message: null });
      expect(fixed!.firstSeen > before!.firstSeen).toBe(true);
      const still = await result('compose.image-tag', composePath);
      expect(still).toMatchObject({ status: 'pass', firstSeen: unchanged!.firstSeen });
      expect(still!.lastSeen > unchanged!.lastSeen).toBe(true);
      expect(events).toEqual([expect.objectContaining({ type: 'compliance.passed', device: 'web', rule: 'compose.privileged', path: composePath })]);
    });

    it('keeps a score trend per pack: a point when a stored snapshot moves it, none for a run that changes nothing', async () => {
      const trend = await services.compliance.trend('web');
      const compose = trend.filter((p) => p.pack === 'compose');
      // the fix of the previous test, stored by the analysis of its snapshot
      const [fixed, beforeFix] = [compose.at(-1)!, compose.at(-2)!];
      expect(fixed.fail).toBe(beforeFix.fail - 1);
      expect(fixed.score).toBeGreaterThan(beforeFix.score ?? 100);
      expect(fixed.at >= beforeFix.at).toBe(true);

      // a run records where each pack stands now (earlier waivers and rule removals moved sshd without a point)
      await services.compliance.run({ device: 'web' });
      const current = await services.compliance.trend('web');
      expect(current.slice(0, trend.length)).toEqual(trend);
      await services.compliance.run({ device: 'web' });
      expect(await services.compliance.trend('web')).toEqual(current);
      const report = await services.compliance.report('web');
      expect(report.trend).toEqual(current);
      const packs = report.devices[0]!.packs;
      expect(Object.keys(packs).length).toBeGreaterThan(1);
      for (const [pack, counts] of Object.entries(packs)) {
        expect(current.filter((p) => p.pack === pack).at(-1)).toMatchObject({ device: 'web', ...counts });
      }
    });
  });
}
