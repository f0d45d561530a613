/**
 * One host's hostile file cannot stall the rest (issue 9, item 10): with
 * two local devices watched in real time (real inotifywait), a file on A
 * whose analysis needs more than the budget is stored with `analysis
 * skipped: over budget` and `analysis.skipped` is published, while B's
 * change is stored and analysed as usual.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Impact } from '../../src/analysis/impact.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { Services } from '../../src/services/services.js';
import type { Monitor } from '../../src/watch/monitor.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { recordEvents, until } from '../helpers/monitor.js';

describeWith('inotifywait', commandExists('inotifywait'), 'a hostile file on one device while another changes', () => {
  const t = tempHome();
  const hostA = join(t.home, '..', 'host-a');
  const hostB = join(t.home, '..', 'host-b');
  let services: Services;
  let monitor: Monitor;
  let events: ConfwatchEvent[];

  beforeAll(async () => {
    mkdirSync(hostA, { recursive: true });
    mkdirSync(hostB, { recursive: true });
    writeFileSync(join(hostA, 'site.conf'), 'server { listen 80; }\n');
    writeFileSync(join(hostB, 'site.conf'), 'server { listen 80; }\n');
    // 24 MB of heap per worker: a small file parses in it, 200k directives (1 MB) need about twice that;
    // the time budget is generous so that on a loaded machine the memory budget is the one exceeded
    services = await openInitialisedServices(t.home, { analysisBudget: { memoryMb: 24, timeMs: 40_000 } });
    await services.devices.add({ name: 'a', local: true, mode: 'realtime', watch: [`${hostA}/*.conf`], type: 'nginx' });
    await services.devices.add({ name: 'b', local: true, mode: 'realtime', watch: [`${hostB}/*.conf`], type: 'nginx' });
    events = recordEvents(services.bus);
    monitor = services.monitoring.monitor();
    await monitor.start();
    await until(() => monitor.devices().every((d) => d.state === 'realtime'), 'both devices in realtime mode', 30_000);
    await until(() => events.filter((e) => e.type === 'config.changed').length >= 2, 'the initial versions', 30_000);
    await services.analysis.idle();
  });
  afterAll(async () => {
    await monitor?.stop();
    await services?.close();
    t.remove();
  });

  it('skips the hostile file over budget, and stores and analyses the other device change', async () => {
    events.length = 0;
    writeFileSync(join(hostA, 'site.conf'), 'a 1;\n'.repeat(200_000));
    writeFileSync(join(hostB, 'site.conf'), 'server { listen 8080; }\n');

    const changedB = await until(() => events.find((e): e is ConfwatchEvent<'config.changed'> => e.type === 'config.changed' && e.device === 'b'), "b's change", 30_000);
    const skipped = await until(() => events.find((e): e is ConfwatchEvent<'analysis.skipped'> => e.type === 'analysis.skipped'), 'analysis.skipped', 60_000);
    const changedA = events.find((e): e is ConfwatchEvent<'config.changed'> => e.type === 'config.changed' && e.device === 'a');
    expect(skipped).toMatchObject({ device: 'a', path: join(hostA, 'site.conf'), snapshotId: changedA?.snapshotId, reason: 'over budget', budget: 'memory', limit: '24 MB' });

    const snapshotA = await services.store.getSnapshot(skipped.snapshotId);
    expect(snapshotA?.hasContent).toBe(true);
    expect(snapshotA?.parsed).toBeNull();
    expect(snapshotA?.parseErrors).toEqual([{ message: 'analysis skipped: over budget (memory, 24 MB)' }]);
    expect(snapshotA?.impact).toMatchObject({ riskLevel: 'MEDIUM', reasons: [{ rule: 'analysis-skipped', detail: 'analysis skipped: over budget (memory, 24 MB)' }] });

    const analysedB = await until(async () => ((await services.store.getSnapshot(changedB.snapshotId))?.impact ?? undefined) as Impact | undefined, "b's analysis", 60_000);
    expect(analysedB.reasons.map((r) => r.rule)).toContain('listen-changed');
    expect(events.some((e) => e.type === 'analysis.skipped' && e.device === 'b')).toBe(false);
  });
});
