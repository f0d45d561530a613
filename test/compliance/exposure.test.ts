/**
 * The exposure score `systemd-analyze security` gives a service unit,
 * measured on the device over a real loopback sshd: a fleet run fails an
 * unsandboxed unit and passes a hardened one; a watched unit edited from
 * hardened to unsandboxed fails `systemd.exposure` without any run, and
 * a new parse of the file (its CEL rules) does not erase the measured result.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { Services } from '../../src/services/services.js';
import type { Monitor } from '../../src/watch/monitor.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';
import { COMPLIANCE_FIXTURES } from '../helpers/compliance-fixtures.js';
import { recordEvents, until } from '../helpers/monitor.js';
import { describeWithSshd, type RunningSshd, sshdConnection, startSshd } from '../helpers/sshd.js';

const fixture = (name: string) => join(COMPLIANCE_FIXTURES, 'systemd', name);

describeWithSshd('service exposure measured on the device', () => {
  const t = tempHome();
  const dir = mkdtempSync(join(tmpdir(), 'cw-exposure-'));
  let sshd: RunningSshd;
  let services: Services;
  let monitor: Monitor;
  let events: ConfwatchEvent[];

  const exposure = async (name: string) => (await services.compliance.results('box')).find((r) => r.rule === 'systemd.exposure' && r.path === join(dir, name));

  beforeAll(async () => {
    copyFileSync(fixture('weak.service'), join(dir, 'weak.service'));
    copyFileSync(fixture('hardened.service'), join(dir, 'app.service'));
    sshd = await startSshd();
    services = await openInitialisedServices(t.home);
    await services.devices.add({
      name: 'box',
      ...sshdConnection(sshd),
      mode: 'realtime',
      watch: [join(dir, '*.service')],
    });
    events = recordEvents(services.bus);
    monitor = services.monitoring.monitor();
    await monitor.start();
    await until(() => monitor.devices().every((d) => d.state === 'realtime'), 'realtime mode', 30_000);
    await until(() => events.filter((e) => e.type === 'config.changed').length >= 2, 'the initial versions', 30_000);
    await services.settled();
  });
  afterAll(async () => {
    await monitor?.stop();
    await services?.close();
    await sshd?.stop();
    t.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a run fails the unsandboxed unit with its score and passes the hardened one', async () => {
    const run = await services.compliance.run({ device: 'box' });
    const finding = run.findings.find((f) => f.rule === 'systemd.exposure');
    expect(finding).toMatchObject({ path: join(dir, 'weak.service'), status: 'fail', severity: 'medium', line: null });
    expect(finding?.message).toMatch(/^exposure \d+\.\d (EXPOSED|UNSAFE|DANGEROUS) \(systemd-analyze security\)$/);
    expect(await exposure('app.service')).toMatchObject({ status: 'pass' });
    expect((await services.compliance.rules()).find((r) => r.id === 'systemd.exposure')).toMatchObject({ measuredBy: expect.stringContaining('systemd-analyze') });
  });

  it('an edit that drops the sandbox fails the measured rule on its own, and the CEL rules leave it in place', async () => {
    writeFileSync(join(dir, 'app.service'), readFileSync(fixture('weak.service')));
    await until(
      () => events.find((e) => e.type === 'compliance.failed' && e.rule === 'systemd.exposure' && e.path === join(dir, 'app.service')),
      'the exposure failure of the edited unit',
      30_000,
    );
    await services.settled();
    expect(await exposure('app.service')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^exposure \d+\.\d UNSAFE/) });
    // the CEL rules of the same version were recorded too, and did not drop the measured result
    const rules = (await services.compliance.results('box')).filter((r) => r.path === join(dir, 'app.service')).map((r) => r.rule);
    expect(rules).toContain('systemd.no-new-privileges');
    expect(rules).toContain('systemd.exposure');
    // a parse judged again without a new version (as reanalyze does) replaces only the CEL results
    await services.compliance.record('box', join(dir, 'app.service'), null, []);
    expect(await exposure('app.service')).toMatchObject({ status: 'fail' });
  });
});
