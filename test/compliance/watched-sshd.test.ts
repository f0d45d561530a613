/**
 * A watched host, for real: a device over SSH to a loopback OpenSSH sshd,
 * watched in real time with inotifywait, whose sshd_config is edited.
 * Setting `PermitRootLogin yes` gives `compliance.failed`; reverting gives
 * `compliance.passed`; a waiver silences the failure until it expires,
 * after which the scheduled (here: explicit) run fails it again and says so.
 * The alerts run as `serve` runs them and send both events to a real HTTP
 * receiver through a `json://` channel, without the finding's message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { RunningAlerts } from '../../src/services/alert.service.js';
import type { Services } from '../../src/services/services.js';
import type { Monitor } from '../../src/watch/monitor.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';
import { recordEvents, sleep, until } from '../helpers/monitor.js';
import { describeWithSshd, type RunningSshd, sshdConnection, startSshd } from '../helpers/sshd.js';

const HARDENED = 'PermitRootLogin no\nPasswordAuthentication no\n';
const ROOT_YES = 'PermitRootLogin yes\nPasswordAuthentication no\n';

describeWithSshd('compliance on a watched host', () => {
  const t = tempHome();
  const dir = mkdtempSync(join(tmpdir(), 'cw-comp-host-'));
  const file = join(dir, 'sshd_config');
  let sshd: RunningSshd;
  let services: Services;
  let monitor: Monitor;
  let events: ConfwatchEvent[];
  let receiver: HttpReceiver;
  let alerts: RunningAlerts;

  const failed = (rule: string) => events.find((e): e is ConfwatchEvent<'compliance.failed'> => e.type === 'compliance.failed' && e.rule === rule);
  const passed = (rule: string) => events.find((e): e is ConfwatchEvent<'compliance.passed'> => e.type === 'compliance.passed' && e.rule === rule);
  const received = (event: string, rule: string) =>
    receiver.requests.find((r) => {
      const body = JSON.parse(r.body) as { event?: string; title?: string };
      return body.event === event && body.title?.includes(rule);
    });
  const stored = async () => (await services.compliance.results('box')).find((r) => r.rule === 'sshd.permit-root-login');

  beforeAll(async () => {
    writeFileSync(file, HARDENED);
    sshd = await startSshd();
    services = await openInitialisedServices(t.home);
    await services.devices.add({
      name: 'box',
      ...sshdConnection(sshd),
      mode: 'realtime',
      watch: [file],
    });
    events = recordEvents(services.bus);
    receiver = await startHttpReceiver();
    await services.alerts.addChannel('hook', `json://127.0.0.1:${receiver.port}/hook`);
    alerts = services.alerts.start({ dispatcher: { retryBaseMs: 100 } });
    monitor = services.monitoring.monitor();
    await monitor.start();
    await until(() => monitor.devices().every((d) => d.state === 'realtime'), 'realtime mode', 30_000);
    await until(() => events.find((e) => e.type === 'config.changed'), 'the initial version', 30_000);
    await services.analysis.idle();
    expect(await stored()).toMatchObject({ status: 'pass' });
  });
  afterAll(async () => {
    await monitor?.stop();
    await alerts?.stop();
    await receiver?.close();
    await services?.close();
    await sshd?.stop();
    t.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an edit setting PermitRootLogin yes gives compliance.failed and a webhook alert, reverting it compliance.passed', async () => {
    events.length = 0;
    const edited = Date.now();
    writeFileSync(file, ROOT_YES);
    const failure = await until(() => failed('sshd.permit-root-login'), 'compliance.failed', 30_000);
    // how long the edit took to become an event (reported, not asserted: timings come from benchmarks)
    console.info(`compliance.failed ${Date.now() - edited} ms after the edit`);
    const changed = events.find((e): e is ConfwatchEvent<'config.changed'> => e.type === 'config.changed');
    expect(failure).toMatchObject({ device: 'box', path: file, severity: 'high', message: 'PermitRootLogin is yes', line: 1, snapshotId: changed?.snapshotId, waiverExpired: false });

    const alert = await until(() => received('compliance.failed', 'sshd.permit-root-login'), 'the compliance.failed webhook', 30_000);
    expect(JSON.parse(alert.body)).toMatchObject({ event: 'compliance.failed', device: 'box', riskLevel: 'HIGH', path: file, action: 'trigger', summary: failure.title });
    // the finding's message quotes the file: it stays inside confwatch
    expect(alert.body).not.toContain('PermitRootLogin is yes');

    writeFileSync(file, HARDENED);
    await until(() => passed('sshd.permit-root-login'), 'compliance.passed', 30_000);
    expect(await stored()).toMatchObject({ status: 'pass' });
    const cleared = await until(() => received('compliance.passed', 'sshd.permit-root-login'), 'the compliance.passed webhook', 30_000);
    expect(JSON.parse(cleared.body)).toMatchObject({ event: 'compliance.passed', device: 'box', path: file, action: 'resolve' });
    expect(cleared.body).not.toContain('PermitRootLogin is yes');
  });

  it('a waiver silences the failure until its expiry', async () => {
    const expires = new Date(Date.now() + 3_000).toISOString();
    await services.compliance.waive({ rule: 'sshd.permit-root-login', device: 'box', path: file, reason: 'maintenance window', expires, by: 'tester' });
    events.length = 0;
    writeFileSync(file, ROOT_YES);
    await until(() => events.find((e) => e.type === 'config.changed'), 'the edit captured', 30_000);
    await services.analysis.idle();
    expect(await stored()).toMatchObject({ status: 'waived', message: expect.stringContaining('maintenance window') });
    expect(failed('sshd.permit-root-login')).toBeUndefined();

    await sleep(Math.max(0, Date.parse(expires) - Date.now() + 50));
    const run = await services.compliance.run({ device: 'box' });
    expect(run.findings).toContainEqual(expect.objectContaining({ rule: 'sshd.permit-root-login', status: 'fail', message: `waiver expired at ${expires}; PermitRootLogin is yes` }));
    expect(failed('sshd.permit-root-login')).toMatchObject({ waiverExpired: true, path: file });
  });
});
